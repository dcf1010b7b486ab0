import Anthropic from '@anthropic-ai/sdk'
import { createServer, request } from 'node:http'
import { gzipSync } from 'node:zlib'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BIG_INTEGER_TEXT, frameSse, MESSAGE_KINDS, messageFixture, streamErrorEvents } from '../support/anthropic-fixtures'
import { apiErrorOf, scenario, sdkClient, stableHeaders } from '../support/sdk-client'
import { MOCK_HEADERS, startMockUpstream, type MockUpstream } from '../support/mock-upstream'
import { closeServer, errorOf, headerValues, listen, rawRequest, RecordingObserver, startProxy, type RunningProxy } from '../support/proxy-harness'

const MODEL = 'claude-sonnet-5-5'
const params = {
  model: MODEL,
  max_tokens: 256,
  messages: [{ role: 'user' as const, content: 'Hello' }],
}

/**
 * A non-streaming request as Claude Code resends it: an earlier tool call's input holds an integer
 * above 2^53 and a decimal that a parse+stringify round trip would change.
 */
const BIG_INTEGER_BODY =
  `{"model":"${MODEL}","max_tokens":256,"messages":[` +
  '{"role":"user","content":"Look up the account"},' +
  `{"role":"assistant","content":[{"type":"tool_use","id":"toolu_01","name":"get_account","input":{"account_id":${BIG_INTEGER_TEXT},"limit":1.50}}]},` +
  '{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_01","content":"{\\"stream\\": false}"}]}]}'

describe('demotion of non-streaming requests', () => {
  let upstream: MockUpstream
  let observer: RecordingObserver
  let running: RunningProxy
  let direct: Anthropic
  let proxied: Anthropic

  beforeEach(async () => {
    upstream = await startMockUpstream()
    observer = new RecordingObserver()
    running = await startProxy({ forwardUrl: upstream.url, observer, demoteNonStreaming: true })
    direct = sdkClient(upstream.url)
    proxied = sdkClient(running.url)
  })
  afterEach(async () => {
    await running.close()
    await upstream.close()
  })

  it.each(MESSAGE_KINDS)('gives the SDK the %s message it gets from the non-streaming API, from a stream', async (kind) => {
    const withoutProxy = await direct.messages.create(params, scenario(kind)).withResponse()
    const throughProxy = await proxied.messages.create(params, scenario(kind)).withResponse()

    expect({ ...throughProxy.data, id: '' }).toEqual({ ...withoutProxy.data, id: '' })
    const [plain, demoted] = upstream.requests
    expect(JSON.parse(plain.body.toString()).stream).toBeUndefined()
    expect(demoted.body.toString()).toBe(`{"stream":true,${plain.body.toString().slice(1)}`)
    expect(demoted.response.headers['content-type']).toMatch(/^text\/event-stream/)
    // Upstream's headers reach the client as the non-streaming API sends them: no stream cache-control.
    expect(stableHeaders(throughProxy.response.headers)).toEqual(stableHeaders(withoutProxy.response.headers))
    expect(throughProxy.response.headers.get('request-id')).toBe(demoted.requestId)
  })

  it.each(MESSAGE_KINDS)('answers a %s request with the bytes of the non-streaming API', async (kind) => {
    const response = await rawRequest(running.url, {
      path: '/v1/messages?beta=true',
      headers: [MOCK_HEADERS.scenario, kind, 'content-type', 'application/json'],
      body: JSON.stringify(params),
    })

    const id = JSON.parse(response.body.toString()).id as string
    expect(response.status).toBe(200)
    expect(response.headers['content-type']).toBe('application/json')
    expect(response.headers['content-length']).toBe(String(response.body.length))
    expect(response.headers['transfer-encoding']).toBeUndefined()
    expect(response.body.toString()).toBe(messageFixture(kind, { id, model: MODEL }).json)
    expect(upstream.requests[0].url).toBe('/v1/messages?beta=true')
    expect(upstream.requests[0].response.headers['content-type']).toMatch(/^text\/event-stream/)
  })

  it('keeps integers beyond 2^53 exact in the request sent upstream and in the tool input the client reads', async () => {
    const response = await fetch(`${running.url}/v1/messages`, {
      method: 'POST',
      headers: { [MOCK_HEADERS.scenario]: 'tool-use', 'content-type': 'application/json' },
      body: BIG_INTEGER_BODY,
    })
    const text = await response.text()

    expect(upstream.requests[0].body.toString()).toBe(`{"stream":true,${BIG_INTEGER_BODY.slice(1)}`)
    expect(headerValues(upstream.requests[0].rawHeaders, 'content-length')).toEqual([String(BIG_INTEGER_BODY.length + '"stream":true,'.length)])
    expect(response.status).toBe(200)
    expect(text).toBe(messageFixture('tool-use', { id: JSON.parse(text).id as string, model: MODEL }).json)
    expect(text).toContain(`"account_id":${BIG_INTEGER_TEXT}`)
    expect(text).toContain('"limit":1.50')
  })

  it('sets an explicit "stream": false to true in place, whitespace kept', async () => {
    const body = BIG_INTEGER_BODY.replace('"max_tokens":256,', '"max_tokens":256,\n  "stream" :  false,')
    const response = await rawRequest(running.url, { path: '/v1/messages', headers: [MOCK_HEADERS.scenario, 'text'], body })

    expect(response.status).toBe(200)
    expect(upstream.requests[0].body.toString()).toBe(body.replace('"stream" :  false', '"stream" :  true'))
  })

  it('asks upstream for an identity-encoded stream and answers uncompressed JSON', async () => {
    const response = await rawRequest(running.url, {
      path: '/v1/messages',
      headers: ['accept-encoding', 'gzip, deflate, br', MOCK_HEADERS.scenario, 'text'],
      body: JSON.stringify(params),
    })

    expect(headerValues(upstream.requests[0].rawHeaders, 'accept-encoding')).toEqual(['identity'])
    expect(response.headers['content-encoding']).toBeUndefined()
    expect(JSON.parse(response.body.toString()).type).toBe('message')
  })

  it('relays a JSON answer from an upstream that ignored the stream flag as it is', async () => {
    const response = await rawRequest(running.url, { path: '/v1/messages', headers: [MOCK_HEADERS.scenario, 'gzip'], body: JSON.stringify(params) })

    expect(response.status).toBe(200)
    expect(response.body).toEqual(upstream.sentBody(upstream.requests[0]))
  })

  it('tells the observer it demoted, and shows it the real upstream exchange: edited body, SSE head and every read', async () => {
    await proxied.messages.create(params, scenario('thinking'))

    const exchange = await observer.ended(0)
    expect(exchange.start.demoted).toBe(true)
    expect(exchange.start.body).toEqual(upstream.requests[0].body)
    expect(exchange.start.upstreamHeaders['accept-encoding']).toBe('identity')
    expect(exchange.response?.status).toBe(200)
    expect(exchange.response?.headers['content-type']).toMatch(/^text\/event-stream/)
    expect(Buffer.concat(exchange.chunks.map((c) => c.chunk))).toEqual(upstream.sentBody(upstream.requests[0]))
    expect(exchange.end.kind).toBe('completed')
    expect(exchange.calls[0]).toBe('onStart')
    expect(exchange.calls.at(-1)).toBe('onEnd')
  })

  it('reports the proxy’s own time for a demoted exchange once, like any other', async () => {
    const overheadsMs: number[] = []
    const timed = await startProxy({ forwardUrl: upstream.url, demoteNonStreaming: true, onOverhead: (ms) => overheadsMs.push(ms) })
    try {
      const response = await rawRequest(timed.url, { path: '/v1/messages', headers: [MOCK_HEADERS.scenario, 'text'], body: JSON.stringify(params) })

      expect(response.status).toBe(200)
      expect(overheadsMs).toHaveLength(1)
      expect(overheadsMs[0]).toBeGreaterThanOrEqual(0)
    } finally {
      await timed.close()
    }
  })

  it('raises the error of a mid-stream error event as the non-streaming API would: 529 overloaded_error', async () => {
    const error = await apiErrorOf(proxied.messages.create(params, scenario('stream-error')))

    expect(error).toBeInstanceOf(Anthropic.InternalServerError)
    expect(error.status).toBe(529)
    expect(error.type).toBe('overloaded_error')
    expect(error.apiMessage).toBe('Overloaded')
    expect(error.requestID).toBe(upstream.requests[0].requestId)
    expect((await observer.ended(0)).end.kind).toBe('completed')
  })

  it('answers a mid-stream error with upstream’s envelope from the event, as JSON', async () => {
    const response = await rawRequest(running.url, { path: '/v1/messages', headers: [MOCK_HEADERS.scenario, 'stream-error'], body: JSON.stringify(params) })

    const events = streamErrorEvents()
    expect(response.status).toBe(529)
    expect(response.headers['content-type']).toBe('application/json')
    expect(response.body.toString()).toBe(events[events.length - 1].data)
    expect(response.headers['request-id']).toBe(upstream.requests[0].requestId)
  })

  it.each([
    ['overloaded', 529, 'overloaded_error', Anthropic.InternalServerError],
    ['rate-limited', 429, 'rate_limit_error', Anthropic.RateLimitError],
  ] as const)('relays a %s answer before any stream exactly as without the proxy', async (name, status, type, errorClass) => {
    const withoutProxy = await apiErrorOf(direct.messages.create(params, scenario(name)))
    const throughProxy = await apiErrorOf(proxied.messages.create(params, scenario(name)))

    expect(throughProxy).toBeInstanceOf(errorClass)
    expect(throughProxy.status).toBe(status)
    expect(throughProxy.type).toBe(type)
    expect(throughProxy.apiMessage).toBe(withoutProxy.apiMessage)
    expect(throughProxy.requestID).toBe(upstream.requests[1].requestId)
    expect(stableHeaders(throughProxy.headers)).toEqual(stableHeaders(withoutProxy.headers))
    expect(upstream.sentBody(upstream.requests[1]).toString()).toBe(upstream.sentBody(upstream.requests[0]).toString().replace(upstream.requests[0].requestId, upstream.requests[1].requestId))
  })

  it('answers 502 in Anthropic’s envelope when upstream resets mid-stream, nothing having reached the client', async () => {
    const response = await rawRequest(running.url, { path: '/v1/messages', headers: [MOCK_HEADERS.scenario, 'reset-mid-stream'], body: JSON.stringify(params) })

    expect(response.status).toBe(502)
    expect(response.headers['content-type']).toBe('application/json')
    expect(JSON.parse(response.body.toString())).toEqual({
      type: 'error',
      error: { type: 'api_error', message: expect.stringContaining('closed the connection') },
    })
    const exchange = await observer.ended(0)
    expect(errorOf(exchange.end).code).toBe('UPSTREAM_RESET')
    expect(exchange.chunks.length).toBeGreaterThan(0)
  })

  it('raises a 502 APIError in the SDK when upstream resets mid-stream', async () => {
    const error = await apiErrorOf(proxied.messages.create(params, scenario('reset-mid-stream')))

    expect(error).toBeInstanceOf(Anthropic.InternalServerError)
    expect(error.status).toBe(502)
    expect(error.type).toBe('api_error')
  })

  it('answers 502 when the stream goes silent longer than the idle timeout', async () => {
    const idle = await startProxy({ forwardUrl: upstream.url, observer, demoteNonStreaming: true, idleTimeoutMs: 200 })
    try {
      const response = await rawRequest(idle.url, {
        path: '/v1/messages',
        headers: [MOCK_HEADERS.scenario, 'slow-stream', MOCK_HEADERS.delayMs, '5000'],
        body: JSON.stringify(params),
      })

      expect(response.status).toBe(502)
      expect(JSON.parse(response.body.toString()).error.message).toMatch(/stopped sending/)
      expect(errorOf((await observer.ended(0)).end).code).toBe('UPSTREAM_IDLE_TIMEOUT')
    } finally {
      await idle.close()
    }
  })

  it('aborts the upstream stream when the client hangs up while it is accumulated', async () => {
    const client = request(`${running.url}/v1/messages`, {
      method: 'POST',
      headers: { [MOCK_HEADERS.scenario]: 'slow-stream', [MOCK_HEADERS.delayMs]: '100' },
    })
    client.on('error', () => {})
    client.end(JSON.stringify(params))
    const [sent] = await upstream.waitForRequests(1)
    await observer.until(() => (observer.exchanges[0]?.chunks.length ?? 0) >= 2, 'the stream to be under way')
    client.destroy()

    await upstream.waitForAbort(sent.requestId)
    const exchange = await observer.ended(0)
    expect(exchange.end.kind).toBe('aborted')
    expect(running.proxy.inFlight).toBe(0)
  })

  it('leaves streaming requests untouched: same body upstream, same bytes back', async () => {
    const body = JSON.stringify({ ...params, stream: true })
    const response = await rawRequest(running.url, { path: '/v1/messages', headers: [MOCK_HEADERS.scenario, 'tool-use'], body })

    expect(upstream.requests[0].body.toString()).toBe(body)
    expect(response.headers['content-type']).toMatch(/^text\/event-stream/)
    expect(response.body).toEqual(upstream.sentBody(upstream.requests[0]))
    expect((await observer.ended(0)).start.demoted).toBe(false)
  })

  it('streams through the SDK exactly as without the proxy', async () => {
    const withoutProxy = await direct.messages.stream(params, scenario('tool-use')).finalMessage()
    const throughProxy = await proxied.messages.stream(params, scenario('tool-use')).finalMessage()

    expect({ ...throughProxy, id: '' }).toEqual({ ...withoutProxy, id: '' })
    expect(upstream.requests[1].body.toString()).toBe(upstream.requests[0].body.toString())
  })

  it.each([
    ['count_tokens', '/v1/messages/count_tokens', [] as string[], JSON.stringify(params)],
    ['a body that is not JSON', '/v1/messages', [], '{"model": "m", '],
    ['a gzip-encoded body', '/v1/messages', ['content-encoding', 'gzip'], gzipSync(JSON.stringify(params))],
  ])('forwards %s unchanged', async (_name, path, headers, body) => {
    await rawRequest(running.url, { path, headers: [...headers], body })

    expect(upstream.requests[0].body).toEqual(Buffer.from(body))
    expect((await observer.ended(0)).start.demoted).toBe(false)
  })
})

describe('demotion when upstream ends a stream early', () => {
  let running: RunningProxy | undefined
  afterEach(async () => {
    await running?.close()
  })

  it('answers 502 and aborts upstream when a demoted stream outgrows its bound, as a line that never ends would', async () => {
    let upstreamClosed!: () => void
    const closed = new Promise<void>((resolve) => (upstreamClosed = resolve))
    const endless = createServer((req, res) => {
      req.resume()
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        res.write('event: message_start\ndata: ')
        const line = Buffer.alloc(64 * 1024, 'x')
        const pump = () => {
          while (!res.destroyed && res.write(line));
          if (!res.destroyed) res.once('drain', pump)
        }
        res.on('close', upstreamClosed)
        pump()
      })
    })
    const observer = new RecordingObserver()
    running = await startProxy({ forwardUrl: await listen(endless), observer, demoteNonStreaming: true, demotedStreamMaxBytes: 1024 * 1024 })
    try {
      const response = await rawRequest(running.url, { path: '/v1/messages', body: JSON.stringify(params) })

      expect(response.status).toBe(502)
      expect(JSON.parse(response.body.toString()).error.message).toMatch(/outgrew the bound/)
      expect(errorOf((await observer.ended(0)).end).code).toBe('UPSTREAM_BAD_RESPONSE')
      await closed
    } finally {
      endless.closeAllConnections()
      await closeServer(endless)
    }
  })

  it('answers 502 when the stream ends cleanly but before message_stop', async () => {
    const events = messageFixture('text').events
    const truncating = createServer((req, res) => {
      req.resume()
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        res.end(frameSse(events.slice(0, events.length - 2)))
      })
    })
    const observer = new RecordingObserver()
    running = await startProxy({ forwardUrl: await listen(truncating), observer, demoteNonStreaming: true })
    try {
      const response = await rawRequest(running.url, { path: '/v1/messages', body: JSON.stringify(params) })

      expect(response.status).toBe(502)
      expect(JSON.parse(response.body.toString()).error.message).toMatch(/ended before message_stop/)
      expect(errorOf((await observer.ended(0)).end).code).toBe('UPSTREAM_RESET')
    } finally {
      await closeServer(truncating)
    }
  })
})

describe('demotion switched off (the default)', () => {
  let upstream: MockUpstream
  let running: RunningProxy

  beforeEach(async () => {
    upstream = await startMockUpstream()
    running = await startProxy({ forwardUrl: upstream.url })
  })
  afterEach(async () => {
    await running.close()
    await upstream.close()
  })

  it('forwards a non-streaming request byte for byte and relays the JSON answer', async () => {
    const response = await rawRequest(running.url, {
      path: '/v1/messages',
      headers: ['accept-encoding', 'gzip', MOCK_HEADERS.scenario, 'tool-use'],
      body: BIG_INTEGER_BODY,
    })

    expect(upstream.requests[0].body.toString()).toBe(BIG_INTEGER_BODY)
    expect(headerValues(upstream.requests[0].rawHeaders, 'accept-encoding')).toEqual(['gzip'])
    expect(response.body).toEqual(upstream.sentBody(upstream.requests[0]))
  })
})
