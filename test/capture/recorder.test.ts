import { randomBytes, randomUUID } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import type { CaptureOp } from '../../server/capture/capture-op'
import { Recorder } from '../../server/capture/recording/recorder'
import { MAX_INDEXED_TEXT_BYTES, TRUNCATION_MARKER } from '../../server/capture/indexed-text'
import { createHeaderRedactor, createTextRedactor, type TextRedactor } from '../../server/capture/recording/redact'
import { compileRedactPattern } from '../../server/capture/recording/redact-patterns'
import type { StreamChunkRecord } from '../../server/records/request-record'
import type { LiveEvent } from '../../server/live/live-bus'
import { createMemoryBus } from '../../server/live/memory-bus'
import { ProxyError } from '../../server/proxy/proxy-errors'
import { BIG_INTEGER_TEXT, errorJson, frameSse, messageFixture, RATE_LIMIT_MESSAGE, streamErrorEvents } from '../support/anthropic-fixtures'
import { take } from '../live/live-bus-contract'
import { inFlightRecord, sameBody } from './records'

const API_KEY = 'sk-ant-api03-recorder-test'
const STREAM_BODY = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 1024, stream: true, messages: [{ role: 'user', content: 'hi' }] })
const PLAIN_BODY = JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] })
const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'request-id': 'req_011CStream', 'anthropic-organization-id': 'org-7' }
const RUN_ID = randomUUID()
const JSON_HEADERS = { 'content-type': 'application/json', 'request-id': 'req_011CJson' }

/** The end of the proxy's synchronous handler: the microtasks queued in it have run. */
const handlerReturned = () => new Promise<void>((resolve) => queueMicrotask(resolve))
/** Past the immediate undici writes a request from on a reused connection, queued in the handler. */
const requestWritten = () => new Promise<void>((resolve) => queueMicrotask(() => setImmediate(resolve)))

interface SetUpOptions {
  maxKeptBodyBytes?: number
  redactText?: TextRedactor | null
  maxDecodedBytes?: number
  /** Whether a subscriber takes stream chunks, so that streams are parsed as they arrive. @default true */
  watched?: boolean
}

/**
 * A recorder on a real memory bus, its sink collecting ops, every event it publishes collected
 * (watched or not), and its warnings collected as JSON lines.
 */
function setUp({ maxKeptBodyBytes, redactText = null, maxDecodedBytes, watched = true }: SetUpOptions = {}) {
  const bus = createMemoryBus()
  const published: LiveEvent[] = []
  const publish = bus.publish
  bus.publish = (event) => {
    published.push(event)
    publish(event)
  }
  const live = watched ? bus.subscribe() : bus.subscribe(undefined, { kinds: ['request', 'rateLimit'] })
  const ops: CaptureOp[] = []
  const warnings: Record<string, unknown>[] = []
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line) as Record<string, unknown>) })
  const recorder = new Recorder({ bus, sink: (op) => ops.push(op), redactHeaders: createHeaderRedactor(randomBytes(32)), redactText, logger, runId: RUN_ID, maxKeptBodyBytes, maxDecodedBytes })

  const start = (body: string | Buffer = STREAM_BODY, headers: IncomingHttpHeaders = {}) => {
    const id = randomUUID()
    const clientHeaders = { 'x-api-key': API_KEY, 'user-agent': 'claude-cli/2.1.3 (external, cli)', ...headers }
    recorder.onStart({ id, startedAt: Date.now(), method: 'POST', path: '/v1/messages', query: 'beta=true', clientHeaders, upstreamHeaders: clientHeaders, ...sameBody(Buffer.from(body)) })
    return id
  }
  /** The completion op of `id`, once compressed bodies have been decoded. */
  const completion = async (id: string) => {
    await recorder.whenFinished()
    const found = ops.filter((op) => op.kind === 'complete' && op.record.id === id)
    expect(found).toHaveLength(1)
    const op = found[0] as Extract<CaptureOp, { kind: 'complete' }>
    const chunks = op.chunks.records()
    // What the queue counts must be what the writer will store.
    expect([op.chunks.count, op.chunks.dataLength]).toEqual([chunks.length, chunks.reduce((sum, chunk) => sum + chunk.data.length, 0)])
    return { record: op.record, chunks }
  }
  /** Every live event published so far, in order. */
  const liveEvents = async () => {
    const marker = inFlightRecord()
    bus.publish({ kind: 'request', record: marker })
    const events: LiveEvent[] = []
    for (;;) {
      const { value } = await live.next()
      if (value.kind === 'request' && value.record === marker) return events
      events.push(value)
    }
  }
  /** The chunk events published so far, in order. */
  const publishedChunks = () => published.flatMap((event) => (event.kind === 'chunk' ? [event.chunk] : []))
  return { bus, recorder, ops, warnings, start, completion, liveEvents, publishedChunks }
}

/** Splits `text` into reads of `size` bytes, cutting through events and multi-byte characters. */
function reads(text: string | Buffer, size: number): Buffer[] {
  const bytes = Buffer.from(text)
  const out: Buffer[] = []
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size))
  return out
}

describe('Recorder', () => {
  it('reads nothing of an exchange while the proxy is still forwarding it: the record begins once the request was written', async () => {
    const { ops, start } = setUp()
    start()
    expect(ops).toHaveLength(0)
    await handlerReturned()
    expect(ops).toHaveLength(0)
    await requestWritten()
    expect(ops.map((op) => op.kind)).toEqual(['start'])
  })

  it('announces an IN_FLIGHT record at start with model, stream flag, client, key fingerprint and capture run', async () => {
    const { recorder, ops, start, liveEvents } = setUp()
    const id = start(STREAM_BODY, { 'x-claude-code-session-id': 'session-1' })
    await requestWritten()
    expect(ops).toHaveLength(1)
    const { kind, record } = ops[0]
    expect(kind).toBe('start')
    expect(record).toMatchObject({
      id,
      status: 'IN_FLIGHT',
      method: 'POST',
      path: '/v1/messages',
      query: 'beta=true',
      model: 'claude-sonnet-4-5',
      stream: true,
      userAgent: 'claude-cli/2.1.3 (external, cli)',
      requestBody: STREAM_BODY,
      requestBodyBytes: Buffer.byteLength(STREAM_BODY),
      requestBodyIsJson: true,
      provider: 'anthropic',
      runId: RUN_ID,
    })
    expect(record.apiKeyFingerprint).toMatch(/^key:[0-9a-f]{8}$/)
    expect(record.requestHeaders['x-api-key']).toBe(record.apiKeyFingerprint)
    expect(record.requestHeaders['x-claude-code-session-id']).toBe('session-1')
    expect(JSON.stringify(record)).not.toContain(API_KEY)
    expect(await liveEvents()).toEqual([{ kind: 'request', record }])
    expect(recorder.inFlight).toBe(1)
  })

  it('cuts a model too large for its indexed column at start, and the record says so from start to end', async () => {
    const { recorder, ops, start, completion } = setUp()
    const model = 'claude-' + 'é'.repeat(3000)
    const id = start(JSON.stringify({ model, max_tokens: 1, messages: [] }))
    await requestWritten()
    const started = ops[0]!.record
    expect(Buffer.byteLength(started.model!)).toBeLessThanOrEqual(MAX_INDEXED_TEXT_BYTES)
    expect(started.model).toBe('claude-' + 'é'.repeat((MAX_INDEXED_TEXT_BYTES - Buffer.byteLength('claude-' + TRUNCATION_MARKER)) >> 1) + TRUNCATION_MARKER)
    expect(started.error).toBe(`model truncated in storage (${Buffer.byteLength(model)} bytes sent)`)
    expect(JSON.parse(started.requestBody).model).toBe(model)
    recorder.onResponse(id, { status: 200, headers: JSON_HEADERS, offsetMs: 1 })
    recorder.onChunk(id, Buffer.from('{"type":"message","usage":{"input_tokens":1,"output_tokens":1}}'), 2)
    recorder.onEnd(id, { kind: 'completed', offsetMs: 3 })
    expect((await completion(id)).record).toMatchObject({ status: 'COMPLETED', model: started.model, error: started.error })
  })

  it('publishes each event live before handing the record on for the database', () => {
    const bus = createMemoryBus()
    const seenLiveBySink: (number | undefined)[] = []
    const recorder = new Recorder({
      bus,
      sink: (op) => seenLiveBySink.push(bus.chunksSoFar(op.record.id)?.length),
      redactHeaders: createHeaderRedactor(randomBytes(32)),
      logger: pino({ level: 'silent' }),
      runId: RUN_ID,
    })
    const id = randomUUID()
    const events = messageFixture('text').events
    recorder.onStart({ id, startedAt: Date.now(), method: 'POST', path: '/v1/messages', query: null, clientHeaders: {}, upstreamHeaders: {}, ...sameBody(Buffer.from(STREAM_BODY)) })
    recorder.onResponse(id, { status: 200, headers: SSE_HEADERS, offsetMs: 1 })
    recorder.onChunk(id, Buffer.from(frameSse(events)), 2)
    recorder.onEnd(id, { kind: 'completed', offsetMs: 3 })
    // The bus tracked the request before the start op and held every chunk before the completion op.
    expect(seenLiveBySink).toEqual([0, events.length])
  })

  it('records every SSE event of a stream split across arbitrary reads, with offsets, sizes and the rebuilt Message', async () => {
    const { recorder, start, completion, liveEvents } = setUp()
    const fixture = messageFixture('tool-use')
    const sse = frameSse(fixture.events)
    const id = start()
    recorder.onResponse(id, { status: 200, headers: SSE_HEADERS, offsetMs: 250 })
    const parts = reads(sse, 7)
    parts.forEach((part, index) => recorder.onChunk(id, part, 300 + index))
    recorder.onEnd(id, { kind: 'completed', offsetMs: 900 })

    const { record, chunks } = await completion(id)
    expect(chunks.map((c) => c.seq)).toEqual(fixture.events.map((_, i) => i))
    expect(chunks.map((c) => [c.event, c.data])).toEqual(fixture.events.map((e) => [e.event, e.data]))
    expect(chunks.reduce((sum, c) => sum + c.bytes, 0)).toBe(Buffer.byteLength(sse))
    // Each event carries the offset of the read that completed it.
    let consumed = 0
    for (const chunk of chunks) {
      consumed += chunk.bytes
      expect(chunk.offsetMs).toBe(300 + Math.ceil(consumed / 7) - 1)
    }
    expect(record).toMatchObject({
      status: 'COMPLETED',
      httpStatus: 200,
      upstreamRequestId: 'req_011CStream',
      organizationId: 'org-7',
      responseHeadersMs: 250,
      ttfbMs: 300,
      durationMs: 900,
      responseSse: sse,
      responseBody: fixture.json,
      responseBodyBytes: Buffer.byteLength(sse),
      stopReason: 'tool_use',
      error: null,
    })
    expect(record.responseBody).toContain(BIG_INTEGER_TEXT)
    expect(record.usage?.outputTokens).toBeGreaterThan(0)
    expect(record.completedAt?.getTime()).toBe(record.startedAt.getTime() + 900)

    const events = await liveEvents()
    const liveChunks = events.filter((e) => e.kind === 'chunk').map((e) => (e as { chunk: StreamChunkRecord }).chunk)
    expect(liveChunks).toEqual(chunks)
    expect(events.at(-1)).toEqual({ kind: 'request', record })
    expect(recorder.inFlight).toBe(0)
  })

  it('decompresses its own copy of a gzip JSON response and reads usage and stop reason from it', async () => {
    const { recorder, start, completion } = setUp()
    const fixture = messageFixture('text')
    const compressed = gzipSync(fixture.json)
    const id = start(PLAIN_BODY)
    recorder.onResponse(id, { status: 200, headers: { ...JSON_HEADERS, 'content-encoding': 'gzip' }, offsetMs: 100 })
    for (const part of reads(compressed, 16)) recorder.onChunk(id, part, 120)
    recorder.onEnd(id, { kind: 'completed', offsetMs: 130 })

    const { record, chunks } = await completion(id)
    expect(chunks).toEqual([])
    expect(record).toMatchObject({ status: 'COMPLETED', stream: false, model: 'claude-haiku-4-5', responseBody: fixture.json, responseBodyBytes: compressed.length, stopReason: 'end_turn', responseSse: null })
    expect(record.usage).toMatchObject({ outputTokens: 42 })
  })

  it.each([
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
  ] as const)('decompresses a %s response copy as well', async (encoding, compress) => {
    const { recorder, start, completion } = setUp()
    const fixture = messageFixture('text')
    const id = start(PLAIN_BODY)
    recorder.onResponse(id, { status: 200, headers: { ...JSON_HEADERS, 'content-encoding': encoding }, offsetMs: 1 })
    for (const part of reads(compress(Buffer.from(fixture.json)), 32)) recorder.onChunk(id, part, 2)
    recorder.onEnd(id, { kind: 'completed', offsetMs: 3 })
    expect((await completion(id)).record).toMatchObject({ status: 'COMPLETED', responseBody: fixture.json, stopReason: 'end_turn' })
  })

  it('parses a gzip-compressed SSE stream into events after decompressing the copy', async () => {
    const { recorder, start, completion } = setUp()
    const fixture = messageFixture('thinking')
    const sse = frameSse(fixture.events)
    const id = start()
    recorder.onResponse(id, { status: 200, headers: { ...SSE_HEADERS, 'content-encoding': 'gzip' }, offsetMs: 10 })
    for (const part of reads(gzipSync(sse), 50)) recorder.onChunk(id, part, 20)
    recorder.onEnd(id, { kind: 'completed', offsetMs: 30 })

    const { record, chunks } = await completion(id)
    expect(chunks.map((c) => c.data)).toEqual(fixture.events.map((e) => e.data))
    expect(record).toMatchObject({ status: 'COMPLETED', responseSse: sse, responseBody: fixture.json })
  })

  it('fails a stream that carried an error event, with the event message as its error', async () => {
    const { recorder, start, completion } = setUp()
    const events = streamErrorEvents()
    const id = start()
    recorder.onResponse(id, { status: 200, headers: SSE_HEADERS, offsetMs: 10 })
    recorder.onChunk(id, Buffer.from(frameSse(events)), 20)
    recorder.onEnd(id, { kind: 'completed', offsetMs: 30 })

    const { record, chunks } = await completion(id)
    expect(record).toMatchObject({ status: 'FAILED', error: 'Overloaded', errorCode: null, httpStatus: 200 })
    expect(chunks.at(-1)).toMatchObject({ event: 'error' })
  })

  it('fails a stream that ended before message_stop', async () => {
    const { recorder, start, completion } = setUp()
    const events = messageFixture('text').events.slice(0, 3)
    const id = start()
    recorder.onResponse(id, { status: 200, headers: SSE_HEADERS, offsetMs: 10 })
    recorder.onChunk(id, Buffer.from(frameSse(events)), 20)
    recorder.onEnd(id, { kind: 'completed', offsetMs: 30 })
    expect((await completion(id)).record).toMatchObject({ status: 'FAILED', error: 'stream ended before message_stop' })
  })

  it('stores request and JSON response bodies redacted, still reading usage and JSON-ness from them', async () => {
    const { recorder, start, completion, liveEvents } = setUp({ redactText: createTextRedactor(randomBytes(32), [compileRedactPattern('sk-live-[0-9a-f]{8}')]) })
    const id = start('{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"use sk-live-0123abcd"}]}')
    recorder.onResponse(id, { status: 200, headers: JSON_HEADERS, offsetMs: 10 })
    recorder.onChunk(id, Buffer.from('{"type":"message","content":[{"type":"text","text":"sk-live-0123abcd noted"}],"stop_reason":"end_turn","usage":{"input_tokens":7,"output_tokens":3}}'), 11)
    recorder.onEnd(id, { kind: 'completed', offsetMs: 12 })
    const { record } = await completion(id)
    expect(record).toMatchObject({ model: 'claude-sonnet-4-5', requestBodyIsJson: true, stopReason: 'end_turn', usage: expect.objectContaining({ inputTokens: 7, outputTokens: 3 }) })
    const [fingerprint] = record.requestBody.match(/redacted:[0-9a-f]{8}/)!
    expect(record.responseBody).toContain(`"text":"${fingerprint} noted"`)
    expect(JSON.stringify(await liveEvents())).not.toContain('sk-live-0123abcd')
  })

  it('scans nothing inside the proxy hooks when patterns are configured: records and events follow as deferred work, in order', async () => {
    const redactor = createTextRedactor(randomBytes(32), [compileRedactPattern('sk-live-[0-9a-f]{8}')])!
    let scans = 0
    const counting: TextRedactor = {
      replacement: redactor.replacement,
      redact: (text) => (scans++, redactor.redact(text)),
      findMatches: (text) => (scans++, redactor.findMatches(text)),
    }
    const { recorder, ops, start, completion, liveEvents } = setUp({ redactText: counting })
    const id = start('{"model":"claude-sonnet-4-5","stream":true,"messages":[{"role":"user","content":"sk-live-0123abcd"}]}', { 'x-note': 'sk-live-0123abcd' })
    recorder.onResponse(id, { status: 200, headers: SSE_HEADERS, offsetMs: 10 })
    recorder.onChunk(id, Buffer.from(frameSse(messageFixture('text', { text: 'key sk-live-0123abcd', textDeltas: 3 }).events)), 20)
    recorder.onEnd(id, { kind: 'completed', offsetMs: 30 })
    expect(scans).toBe(0)
    expect(ops).toHaveLength(0)

    const { record, chunks } = await completion(id)
    expect(scans).toBeGreaterThan(0)
    expect(ops.map((op) => op.kind)).toEqual(['start', 'complete'])
    expect(JSON.stringify([ops, record, chunks, await liveEvents()])).not.toContain('sk-live')
  })

  it('fails an exchange upstream answered with an HTTP error, with the envelope message as its error', async () => {
    const { recorder, start, completion } = setUp()
    const body = errorJson('rate_limit_error', RATE_LIMIT_MESSAGE, 'req_011CLimit')
    const id = start()
    recorder.onResponse(id, { status: 429, headers: { ...JSON_HEADERS, 'retry-after': '12' }, offsetMs: 10 })
    recorder.onChunk(id, Buffer.from(body), 11)
    recorder.onEnd(id, { kind: 'completed', offsetMs: 12 })
    expect((await completion(id)).record).toMatchObject({ status: 'FAILED', httpStatus: 429, error: RATE_LIMIT_MESSAGE, responseBody: body, usage: null })
  })

  it('fails an exchange the proxy could not forward, with its error code and the envelope the client got', async () => {
    const { recorder, start, completion } = setUp()
    const id = start()
    recorder.onEnd(id, { kind: 'failed', offsetMs: 5, error: new ProxyError('UPSTREAM_UNREACHABLE', 'connect ECONNREFUSED 127.0.0.1:9').toFailure() })
    const { record } = await completion(id)
    expect(record).toMatchObject({ status: 'FAILED', errorCode: 'UPSTREAM_UNREACHABLE', httpStatus: 502, ttfbMs: null, responseHeaders: null })
    expect(record.error).toContain('ECONNREFUSED')
    expect(JSON.parse(record.responseBody!)).toMatchObject({ type: 'error', error: { type: 'api_error' } })
  })

  it('keeps the chunks that arrived before upstream broke mid-stream and records the stream error', async () => {
    const { recorder, start, completion } = setUp()
    const events = messageFixture('text').events.slice(0, 4)
    const id = start()
    recorder.onResponse(id, { status: 200, headers: SSE_HEADERS, offsetMs: 10 })
    recorder.onChunk(id, Buffer.from(frameSse(events)), 20)
    recorder.onEnd(id, { kind: 'failed', offsetMs: 40, error: new ProxyError('UPSTREAM_RESET', 'socket hang up').toFailure() })
    const { record, chunks } = await completion(id)
    expect(chunks).toHaveLength(4)
    expect(record).toMatchObject({ status: 'FAILED', errorCode: 'UPSTREAM_RESET', httpStatus: 200 })
    expect(JSON.parse(record.responseBody!)).toMatchObject({ type: 'message', role: 'assistant' })
  })

  it('marks an exchange the client hung up on as ABORTED', async () => {
    const { recorder, start, completion } = setUp()
    const id = start()
    recorder.onResponse(id, { status: 200, headers: SSE_HEADERS, offsetMs: 10 })
    recorder.onChunk(id, Buffer.from(frameSse(messageFixture('text').events.slice(0, 2))), 20)
    recorder.onEnd(id, { kind: 'aborted', offsetMs: 25 })
    expect((await completion(id)).record).toMatchObject({ status: 'ABORTED', error: null, durationMs: 25 })
  })

  it('completes a record once: a second onEnd for the same id is ignored and logged', async () => {
    const { recorder, ops, warnings, start, completion, liveEvents } = setUp()
    const id = start(PLAIN_BODY)
    recorder.onResponse(id, { status: 200, headers: JSON_HEADERS, offsetMs: 10 })
    recorder.onChunk(id, Buffer.from(messageFixture('text').json), 11)
    recorder.onEnd(id, { kind: 'completed', offsetMs: 12 })
    recorder.onEnd(id, { kind: 'aborted', offsetMs: 13 })

    expect((await completion(id)).record.status).toBe('COMPLETED')
    expect(ops.map((op) => op.kind)).toEqual(['start', 'complete'])
    expect((await liveEvents()).filter((e) => e.kind === 'request')).toHaveLength(2)
    expect(warnings).toEqual([expect.objectContaining({ requestId: id, outcome: 'aborted', msg: expect.stringContaining('ended twice') })])
  })

  it('records a request body that is not JSON as text, NUL made storable, without model or stream', async () => {
    const { ops, start } = setUp()
    const body = Buffer.from('model=claude&stream=true\u0000tail')
    start(body)
    await requestWritten()
    expect(ops[0].record).toMatchObject({ requestBody: 'model=claude&stream=true\uFFFDtail', requestBodyBytes: body.length, requestBodyIsJson: false, model: null, stream: false })
  })

  it('redacts response headers too and keeps the upstream request id readable', async () => {
    const { recorder, start, completion } = setUp()
    const id = start(PLAIN_BODY)
    recorder.onResponse(id, { status: 200, headers: { ...JSON_HEADERS, 'set-cookie': ['__cf_bm=secret-cookie'] }, offsetMs: 10 })
    recorder.onEnd(id, { kind: 'completed', offsetMs: 12 })
    const { record } = await completion(id)
    expect(record.responseHeaders).toMatchObject({ 'request-id': 'req_011CJson', 'set-cookie': [expect.stringMatching(/^key:[0-9a-f]{8}$/)] })
    expect(JSON.stringify(record)).not.toContain('secret-cookie')
  })

  it('keeps only a prefix of a body larger than the storage bound and says so in the error', async () => {
    const { recorder, start, completion } = setUp({ maxKeptBodyBytes: 1000 })
    const id = start(PLAIN_BODY)
    recorder.onResponse(id, { status: 200, headers: { 'content-type': 'text/plain' }, offsetMs: 10 })
    for (let i = 0; i < 10; i++) recorder.onChunk(id, Buffer.alloc(300, 'a'), 11 + i)
    recorder.onEnd(id, { kind: 'completed', offsetMs: 30 })
    const { record } = await completion(id)
    expect(record).toMatchObject({ status: 'COMPLETED', responseBody: 'a'.repeat(900), responseBodyBytes: 3000 })
    expect(record.error).toBe('response body truncated in storage: kept the first 900 bytes (limit 1000)')
  })

  it('stops decompressing a gzip bomb at the decoded bound, keeping a prefix and saying so', async () => {
    const { recorder, start, completion } = setUp({ maxKeptBodyBytes: 256 * 1024, maxDecodedBytes: 1024 * 1024 })
    const bomb = gzipSync(Buffer.alloc(32 * 1024 * 1024, 'a'))
    const id = start(PLAIN_BODY)
    recorder.onResponse(id, { status: 200, headers: { 'content-type': 'text/plain', 'content-encoding': 'gzip' }, offsetMs: 10 })
    for (const part of reads(bomb, 16 * 1024)) recorder.onChunk(id, part, 11)
    recorder.onEnd(id, { kind: 'completed', offsetMs: 30 })
    const { record } = await completion(id)
    expect(record.responseBodyBytes).toBe(bomb.length)
    expect((record.responseBody as string).length).toBeLessThanOrEqual(256 * 1024)
    expect(record.error).toMatch(/^response decompression stopped at its limit of 1048576 bytes: the \d+ compressed bytes were forwarded whole/)
  })

  it('stops decompressing an SSE gzip bomb without a line end, and keeps the events before it', async () => {
    const { recorder, start, completion } = setUp({ maxKeptBodyBytes: 256 * 1024, maxDecodedBytes: 1024 * 1024 })
    const fixture = messageFixture('text')
    const first = frameSse(fixture.events.slice(0, 2))
    const bomb = gzipSync(Buffer.concat([Buffer.from(first + 'data: '), Buffer.alloc(32 * 1024 * 1024, 'a')]))
    const id = start()
    recorder.onResponse(id, { status: 200, headers: { ...SSE_HEADERS, 'content-encoding': 'gzip' }, offsetMs: 10 })
    for (const part of reads(bomb, 16 * 1024)) recorder.onChunk(id, part, 11)
    recorder.onEnd(id, { kind: 'completed', offsetMs: 30 })
    const { record, chunks } = await completion(id)
    expect(chunks.map((c) => c.data)).toEqual(fixture.events.slice(0, 2).map((e) => e.data))
    // What upstream sent past the bound is unknown to capture, so the stream is not called cut short.
    expect(record.status).toBe('COMPLETED')
    expect(record.error).toMatch(/^response decompression stopped at its limit/)
  })

  it('does not keep a binary response body', async () => {
    const { recorder, start, completion } = setUp()
    const id = start(PLAIN_BODY)
    recorder.onResponse(id, { status: 200, headers: { 'content-type': 'application/pdf' }, offsetMs: 10 })
    recorder.onChunk(id, Buffer.from('%PDF-1.7\u0000\u0001'), 11)
    recorder.onEnd(id, { kind: 'completed', offsetMs: 12 })
    expect((await completion(id)).record).toMatchObject({ status: 'COMPLETED', responseBody: null, responseBodyBytes: 10 })
  })

  it('never throws into the proxy, even when what it feeds fails', () => {
    const logger = pino({ level: 'silent' })
    const recorder = new Recorder({
      bus: createMemoryBus(),
      sink: () => {
        throw new Error('sink broke')
      },
      redactHeaders: createHeaderRedactor(randomBytes(32)),
      logger,
      runId: RUN_ID,
    })
    const id = randomUUID()
    expect(() => {
      recorder.onStart({ id, startedAt: Date.now(), method: 'POST', path: '/v1/messages', query: null, clientHeaders: {}, upstreamHeaders: {}, ...sameBody(Buffer.from(PLAIN_BODY)) })
      recorder.onResponse(id, { status: 200, headers: JSON_HEADERS, offsetMs: 1 })
      recorder.onChunk(id, Buffer.from('{}'), 2)
      recorder.onEnd(id, { kind: 'completed', offsetMs: 3 })
      recorder.onChunk('unknown', Buffer.from('x'), 4)
    }).not.toThrow()
  })
})

describe('Recorder, while no subscriber takes stream chunks', () => {
  /** Feeds `sse` as reads of `size` bytes from offset 300 on, one millisecond apart; `afterRead` runs after each. */
  function feedStream(recorder: Recorder, id: string, sse: string, size: number, afterRead: (index: number) => void = () => {}) {
    recorder.onResponse(id, { status: 200, headers: SSE_HEADERS, offsetMs: 250 })
    reads(sse, size).forEach((part, index) => {
      recorder.onChunk(id, part, 300 + index)
      afterRead(index)
    })
    recorder.onEnd(id, { kind: 'completed', offsetMs: 900 })
  }
  const withoutRequestId = (chunks: StreamChunkRecord[]) => chunks.map(({ requestId: _requestId, ...rest }) => rest)

  it('parses a stream once it ended, and records and publishes what a watched stream would: events, offsets, Message, usage', async () => {
    const fixture = messageFixture('tool-use')
    const sse = frameSse(fixture.events)
    const watched = setUp()
    const watchedId = watched.start()
    feedStream(watched.recorder, watchedId, sse, 7)
    const unwatched = setUp({ watched: false })
    const id = unwatched.start()
    const chunksPublishedWhileStreaming: number[] = []
    feedStream(unwatched.recorder, id, sse, 7, () => chunksPublishedWhileStreaming.push(unwatched.publishedChunks().length))

    expect(new Set(chunksPublishedWhileStreaming)).toEqual(new Set([0]))
    const expected = await watched.completion(watchedId)
    const { record, chunks } = await unwatched.completion(id)
    expect(chunks).toHaveLength(fixture.events.length)
    expect(withoutRequestId(chunks)).toEqual(withoutRequestId(expected.chunks))
    expect(unwatched.publishedChunks()).toEqual(chunks)
    const { responseSse, responseBody, usage, stopReason, status, error } = expected.record
    expect(record).toMatchObject({ responseSse, responseBody, usage, stopReason, status, error })
  })

  it('parses the reads it holds once they are many, so an upstream sending a byte at a time cannot grow them without bound', async () => {
    const fixture = messageFixture('text', { text: 'a longer answer, sent a byte at a time. '.repeat(100), textDeltas: 40 })
    const sse = frameSse(fixture.events)
    const watched = setUp()
    const watchedId = watched.start()
    feedStream(watched.recorder, watchedId, sse, 1)
    const { recorder, start, completion, publishedChunks } = setUp({ watched: false })
    const id = start()
    let publishedMidway = 0
    feedStream(recorder, id, sse, 1, (index) => {
      if (index === Math.floor(Buffer.byteLength(sse) / 2)) publishedMidway = publishedChunks().length
    })

    expect(publishedMidway).toBeGreaterThan(0)
    const { chunks } = await completion(id)
    expect(withoutRequestId(chunks)).toEqual(withoutRequestId((await watched.completion(watchedId)).chunks))
    expect(publishedChunks()).toEqual(chunks)
  })

  it('publishes what a stream holds before adding a subscriber that takes chunks, which finds it in chunksSoFar and gets the rest live', async () => {
    const { bus, recorder, start, completion, publishedChunks } = setUp({ watched: false })
    const fixture = messageFixture('text')
    const id = start()
    let watcher: AsyncIterableIterator<LiveEvent> | undefined
    let backlog: StreamChunkRecord[] = []
    const sse = frameSse(fixture.events)
    feedStream(recorder, id, sse, 11, (index) => {
      if (index !== Math.floor(Buffer.byteLength(sse) / 22)) return
      watcher = bus.subscribe((event) => event.kind === 'chunk', { kinds: ['chunk'] })
      // Published when it subscribed, before any chunksSoFar.
      backlog = publishedChunks()
      expect(bus.chunksSoFar(id)).toEqual(backlog)
    })

    const { chunks } = await completion(id)
    expect(backlog.length).toBeGreaterThan(0)
    expect(backlog.length).toBeLessThan(chunks.length)
    const live = await take(watcher!, chunks.length - backlog.length)
    expect([...backlog, ...live.map((event) => (event as { chunk: StreamChunkRecord }).chunk)]).toEqual(chunks)
  })

  it('answers chunksSoFar for a stream in flight with every event that has arrived', async () => {
    const { bus, recorder, start, completion } = setUp({ watched: false })
    const fixture = messageFixture('thinking')
    const sse = frameSse(fixture.events)
    const id = start()
    const soFar: StreamChunkRecord[][] = []
    feedStream(recorder, id, sse, 64, () => soFar.push(bus.chunksSoFar(id) ?? []))

    const { chunks } = await completion(id)
    let consumed = 0
    const eventEnds = chunks.map((chunk) => (consumed += chunk.bytes))
    expect(soFar).toHaveLength(Math.ceil(Buffer.byteLength(sse) / 64))
    soFar.forEach((answer, read) => {
      // Every event whose last byte came with this read or an earlier one.
      expect(answer).toEqual(chunks.filter((_, seq) => eventEnds[seq]! <= 64 * (read + 1)))
    })
  })

  it.each([true, false])('reads usage from the events past the storage bound too (watched: %s), storing those within it', async (watched) => {
    const { recorder, start, completion } = setUp({ maxKeptBodyBytes: 600, watched })
    const fixture = messageFixture('text')
    const sse = frameSse(fixture.events)
    const id = start()
    feedStream(recorder, id, sse, 50)

    const { record, chunks } = await completion(id)
    expect(Buffer.byteLength(sse)).toBeGreaterThan(600)
    expect(record).toMatchObject({ status: 'COMPLETED', responseBody: fixture.json, responseSse: Buffer.from(sse).subarray(0, 600).toString(), stopReason: 'end_turn' })
    expect(record.usage?.outputTokens).toBe(42)
    expect(record.error).toBe('response body truncated in storage: kept the first 600 bytes (limit 600)')
    expect(chunks.length).toBeGreaterThan(0)
    expect(chunks.reduce((sum, chunk) => sum + chunk.bytes, 0)).toBeLessThanOrEqual(600)
    expect(chunks.map((chunk) => chunk.data)).toEqual(fixture.events.slice(0, chunks.length).map((event) => event.data))
  })
})
