import { randomUUID } from 'node:crypto'
import { chunkList, type CaptureOp } from '../../server/capture/capture-op'
import type { RequestRecord, StreamChunkRecord } from '../../server/records/request-record'

/** An IN_FLIGHT record as the recorder builds it at start; override what a test cares about. */
export function inFlightRecord(overrides: Partial<RequestRecord> = {}): RequestRecord {
  const requestBody = overrides.requestBody ?? '{"model":"claude-sonnet-4-5","max_tokens":16,"messages":[]}'
  return {
    id: randomUUID(),
    status: 'IN_FLIGHT',
    startedAt: new Date(),
    completedAt: null,
    method: 'POST',
    path: '/v1/messages',
    query: null,
    userAgent: 'claude-cli/2.1.3 (external, cli)',
    model: 'claude-sonnet-4-5',
    routedModel: null,
    provider: 'anthropic',
    stream: false,
    httpStatus: null,
    upstreamRequestId: null,
    stopReason: null,
    error: null,
    errorCode: null,
    responseHeadersMs: null,
    ttfbMs: null,
    durationMs: null,
    requestHeaders: { 'anthropic-version': '2023-06-01', 'x-api-key': 'key:0badc0de' },
    requestBody,
    requestBodyBytes: Buffer.byteLength(requestBody),
    requestBodyIsJson: true,
    responseHeaders: null,
    responseBody: null,
    responseSse: null,
    responseBodyBytes: null,
    usage: null,
    apiKeyFingerprint: 'key:0badc0de',
    organizationId: null,
    runId: null,
    demoted: false,
    headerRewrites: null,
    ...overrides,
  }
}

export function startOp(record: RequestRecord): CaptureOp {
  return { kind: 'start', record }
}

/** The completion of `record`: COMPLETED with a 200 and the given response and chunks. */
export function completeOp(record: RequestRecord, changes: Partial<RequestRecord> = {}, chunks: StreamChunkRecord[] = []): CaptureOp {
  return {
    kind: 'complete',
    record: {
      ...record,
      status: 'COMPLETED',
      httpStatus: 200,
      completedAt: new Date(record.startedAt.getTime() + 1200),
      responseHeadersMs: 300,
      ttfbMs: 310,
      durationMs: 1200,
      responseHeaders: { 'content-type': 'application/json', 'request-id': 'req_011CTest' },
      upstreamRequestId: 'req_011CTest',
      responseBody: '{"type":"message","content":[]}',
      responseBodyBytes: 32,
      ...changes,
    },
    chunks: chunkList(chunks),
  }
}

/** `count` stream chunks of `requestId`, in order. */
export function chunksOf(requestId: string, count: number): StreamChunkRecord[] {
  return Array.from({ length: count }, (_, seq) => ({
    requestId,
    seq,
    event: 'content_block_delta',
    data: `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"part ${seq}"}}`,
    offsetMs: 300 + seq * 1.5,
    bytes: 120,
  }))
}

/** `body` and `clientBody` of an ExchangeStart forwarded as the client sent it (not demoted). */
export function sameBody(body: Buffer): { body: Buffer; clientBody: Buffer } {
  return { body, clientBody: body }
}
