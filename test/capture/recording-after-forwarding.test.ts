import { randomBytes, randomUUID } from 'node:crypto'
import diagnostics from 'node:diagnostics_channel'
import { createServer } from 'node:http'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import type { CaptureOp } from '../../server/capture/capture-op'
import { Recorder } from '../../server/capture/recording/recorder'
import { createHeaderRedactor } from '../../server/capture/recording/redact'
import { createMemoryBus } from '../../server/live/memory-bus'
import { closeServer, listen, rawRequest, startProxy, type RunningProxy } from '../support/proxy-harness'

const BODY = JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'x'.repeat(2048) }] })
/** undici publishes here as it writes a request's head to the socket. */
const SEND_HEADERS = 'undici:client:sendHeaders'

describe('the recording of an exchange', () => {
  const cleanups: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  it('begins only after the request was written to a reused upstream connection', async () => {
    const upstream = createServer((req, res) => {
      req.resume()
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"type":"message","usage":{"input_tokens":1,"output_tokens":1}}'))
    })
    const upstreamUrl = await listen(upstream)
    cleanups.push(() => closeServer(upstream))

    // One ordered log of both sides, keyed by the query that tells the requests apart.
    const events: string[] = []
    const onSendHeaders = (message: unknown) => {
      const { request } = message as { request: { path: string } }
      events.push(`sent ${request.path.slice(request.path.indexOf('?') + 1)}`)
    }
    diagnostics.subscribe(SEND_HEADERS, onSendHeaders)
    cleanups.push(async () => void diagnostics.unsubscribe(SEND_HEADERS, onSendHeaders))
    const sink = (op: CaptureOp) => {
      if (op.kind === 'start') events.push(`recorded ${op.record.query}`)
    }
    const recorder = new Recorder({ bus: createMemoryBus(), sink, redactHeaders: createHeaderRedactor(randomBytes(32)), logger: pino({ level: 'silent' }), runId: randomUUID() })
    const proxy: RunningProxy = await startProxy({ forwardUrl: upstreamUrl, observer: recorder })
    cleanups.push(() => proxy.close())

    // The proxy keeps its upstream connection alive: the first request opens it, the others reuse
    // it. While a new connection is being opened the recording may begin: nothing waits on the CPU then.
    for (const n of [1, 2, 3]) {
      const response = await rawRequest(proxy.url, { path: `/v1/messages?n=${n}`, headers: ['content-type', 'application/json'], body: BODY })
      expect(response.status).toBe(200)
    }
    await recorder.whenFinished()

    expect(events.slice(2)).toEqual(['sent n=2', 'recorded n=2', 'sent n=3', 'recorded n=3'])
    expect(events.slice(0, 2).sort()).toEqual(['recorded n=1', 'sent n=1'])
  })
})
