import type { RequestRecord, StreamChunkRecord } from '../../server/records/request-record'
import type { LiveBus, LiveEvent, LiveRequestMeta } from '../../server/live/live-bus'
import { inFlightRecord } from '../capture/records'
import { conversationTurnBody } from './request-bodies'

/** A complete, plausible record of a streamed /v1/messages call; override what a test is about. */
export function makeRecord(overrides: Partial<RequestRecord> = {}): RequestRecord {
  return inFlightRecord({
    status: 'COMPLETED',
    startedAt: new Date('2025-06-01T12:00:00.000Z'),
    completedAt: new Date('2025-06-01T12:00:02.500Z'),
    stream: true,
    httpStatus: 200,
    upstreamRequestId: 'req_011CTest',
    stopReason: 'end_turn',
    responseHeadersMs: 120.5,
    ttfbMs: 130.25,
    durationMs: 2500,
    requestHeaders: { 'content-type': 'application/json', 'x-api-key': 'key:3f9a1c2b' },
    requestBody: '{"model":"claude-sonnet-4-5","stream":true,"max_tokens":1024,"messages":[{"role":"user","content":"hello"}]}',
    responseHeaders: { 'request-id': 'req_011CTest' },
    responseBody: '{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"Hi there"}]}',
    responseSse: 'event: message_stop\ndata: {"type":"message_stop"}\n\n',
    responseBodyBytes: 512,
    usage: {
      inputTokens: 10,
      outputTokens: 5,
      cacheCreationInputTokens: 0,
      cacheCreation5mInputTokens: 0,
      cacheCreation1hInputTokens: 0,
      cacheReadInputTokens: 0,
      thinkingTokens: null,
      webSearchRequests: null,
      webFetchRequests: null,
      serviceTier: 'standard',
      inferenceGeo: null,
    },
    apiKeyFingerprint: 'key:3f9a1c2b',
    organizationId: 'org-1',
    ...overrides,
  })
}

/** A complete record, started now, of a conversation's turn: its body as Claude Code sends it (see conversationTurnBody). */
export function conversationTurnRecord(conversation: string, turn: number, overrides: Partial<RequestRecord> = {}): RequestRecord {
  const requestBody = conversationTurnBody(conversation, turn)
  return makeRecord({ startedAt: new Date(), completedAt: new Date(), requestBody, requestBodyBytes: Buffer.byteLength(requestBody), ...overrides })
}

/** The same record as it is published when the exchange starts. */
export function inFlight(record: RequestRecord): RequestRecord {
  return {
    ...record,
    status: 'IN_FLIGHT',
    completedAt: null,
    httpStatus: null,
    stopReason: null,
    durationMs: null,
    ttfbMs: null,
    responseHeadersMs: null,
    responseHeaders: null,
    responseBody: null,
    responseSse: null,
    responseBodyBytes: null,
    usage: null,
  }
}

export function makeChunk(requestId: string, seq: number, data = `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"t${seq}"}}`): StreamChunkRecord {
  return { requestId, seq, event: 'content_block_delta', data, offsetMs: 100 + seq * 10.5, bytes: data.length + 30 }
}

export function metaOf(record: RequestRecord): LiveRequestMeta {
  return { id: record.id, model: record.model, path: record.path, stream: record.stream, apiKeyFingerprint: record.apiKeyFingerprint }
}

export const requestEvent = (record: RequestRecord): LiveEvent => ({ kind: 'request', record })
export const chunkEvent = (record: RequestRecord, seq: number): LiveEvent => ({ kind: 'chunk', chunk: makeChunk(record.id, seq), request: metaOf(record) })

/**
 * Publishes the first `count` chunks of `record` as a recorder that keeps them does: each with the
 * backlog that answers for them. Returns the chunks that backlog holds, which the caller may change.
 */
export function publishKeptChunks(bus: LiveBus, record: RequestRecord, count: number): StreamChunkRecord[] {
  const kept: StreamChunkRecord[] = []
  const backlog = { records: () => kept.slice() }
  for (let seq = 0; seq < count; seq++) {
    const chunk = makeChunk(record.id, seq)
    kept.push(chunk)
    bus.publish({ kind: 'chunk', chunk, request: metaOf(record), backlog })
  }
  return kept
}
