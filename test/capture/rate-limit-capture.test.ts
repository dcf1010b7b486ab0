import { randomBytes, randomUUID } from 'node:crypto'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { NO_CHUNKS, type CaptureOp } from '../../server/capture/capture-op'
import { createHeaderRedactor } from '../../server/capture/recording/redact'
import { Recorder } from '../../server/capture/recording/recorder'
import type { LiveEvent } from '../../server/live/live-bus'
import { createMemoryBus } from '../../server/live/memory-bus'
import { frameSse, messageFixture } from '../support/anthropic-fixtures'
import { decodeOps, encodeOp } from '../../server/capture/spool/spool-codec'
import { completeOp, inFlightRecord, sameBody } from './records'

const STREAM_BODY = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 1024, stream: true, messages: [{ role: 'user', content: 'hi' }] })
const STARTED_AT = Date.parse('2026-12-03T12:00:00.000Z')
const RATE_LIMITED_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'request-id': 'req_011CRate',
  'anthropic-organization-id': 'org-rate',
  'anthropic-ratelimit-unified-status': 'allowed',
  'anthropic-ratelimit-unified-5h-utilization': '0',
  'anthropic-ratelimit-unified-5h-reset': '1796320800',
  'anthropic-ratelimit-requests-remaining': '12',
}

/** The end of the proxy's synchronous handler: the microtasks queued in it have run. */
const handlerReturned = () => new Promise<void>((resolve) => queueMicrotask(resolve))

/** A recorder whose live events and sink ops land in one log, in the order they happened. */
function setUp() {
  const log: Array<{ live: LiveEvent } | { op: CaptureOp }> = []
  const bus = createMemoryBus()
  const publish = bus.publish.bind(bus)
  bus.publish = (event) => {
    log.push({ live: event })
    publish(event)
  }
  const recorder = new Recorder({ bus, sink: (op) => log.push({ op }), redactHeaders: createHeaderRedactor(randomBytes(32)), logger: pino({ level: 'silent' }), runId: randomUUID() })
  const id = randomUUID()
  recorder.onStart({ id, startedAt: STARTED_AT, method: 'POST', path: '/v1/messages', query: null, clientHeaders: { 'x-api-key': 'sk-ant-rate' }, upstreamHeaders: {}, ...sameBody(Buffer.from(STREAM_BODY)) })
  const rateLimitEvents = () => log.flatMap((entry) => ('live' in entry && entry.live.kind === 'rateLimit' ? [entry.live.snapshot] : []))
  return { recorder, log, id, rateLimitEvents }
}

describe('rate limits in capture', () => {
  it("publishes a response's rate-limit snapshot once the proxy's hook returned, before the record reaches the database", async () => {
    const { recorder, log, id, rateLimitEvents } = setUp()
    await handlerReturned()

    recorder.onResponse(id, { status: 200, headers: RATE_LIMITED_HEADERS, offsetMs: 250 })
    // Parsed after the hook returned, never inside it.
    expect(rateLimitEvents()).toEqual([])
    await handlerReturned()

    const [snapshot] = rateLimitEvents()
    expect(snapshot).toMatchObject({
      requestId: id,
      observedAt: new Date(STARTED_AT + 250),
      organizationId: 'org-rate',
      model: 'claude-sonnet-4-5',
      httpStatus: 200,
      unifiedStatus: 'allowed',
      unified5hUtilization: 0,
      unified5hReset: new Date(1796320800 * 1000),
      requestsRemaining: 12,
      requestsLimit: null,
    })
    expect(snapshot!.apiKeyFingerprint).toMatch(/^key:[0-9a-f]{8}$/)

    recorder.onChunk(id, Buffer.from(frameSse(messageFixture('text').events)), 300)
    recorder.onEnd(id, { kind: 'completed', offsetMs: 400 })
    await recorder.whenFinished()
    const completion = log.findIndex((entry) => 'op' in entry && entry.op.kind === 'complete')
    const published = log.findIndex((entry) => 'live' in entry && entry.live.kind === 'rateLimit')
    expect(published).toBeLessThan(completion)
    const { op } = log[completion] as { op: CaptureOp }
    expect(op.record.rateLimit).toEqual(snapshot)
  })

  it('publishes nothing for a response without rate-limit headers and completes with no snapshot', async () => {
    const { recorder, log, id, rateLimitEvents } = setUp()
    recorder.onResponse(id, { status: 200, headers: { 'content-type': 'application/json' }, offsetMs: 5 })
    recorder.onEnd(id, { kind: 'completed', offsetMs: 6 })
    await recorder.whenFinished()
    await handlerReturned()

    expect(rateLimitEvents()).toEqual([])
    const completion = log.find((entry) => 'op' in entry && entry.op.kind === 'complete') as { op: CaptureOp }
    expect(completion.op.record.rateLimit).toBeNull()
  })

  it('keeps the snapshot of a spooled completion, dates and all, for its replay', async () => {
    const { recorder, log, id } = setUp()
    recorder.onResponse(id, { status: 200, headers: RATE_LIMITED_HEADERS, offsetMs: 250 })
    recorder.onEnd(id, { kind: 'completed', offsetMs: 400 })
    await recorder.whenFinished()
    const { op } = log.find((entry) => 'op' in entry && entry.op.kind === 'complete') as { op: CaptureOp }

    const { ops } = decodeOps(Buffer.concat(encodeOp(op)))

    expect(ops[0]!.record.rateLimit).toEqual(op.record.rateLimit)
    expect(ops[0]!.record.rateLimit!.observedAt).toBeInstanceOf(Date)
  })

  it('replays a completion spooled before snapshots existed without one', () => {
    const { rateLimit: _none, ...older } = completeOp(inFlightRecord()).record

    const { ops } = decodeOps(Buffer.concat(encodeOp({ kind: 'complete', record: older, chunks: NO_CHUNKS })))

    expect(ops[0]!.record.rateLimit).toBeUndefined()
  })
})
