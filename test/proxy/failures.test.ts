import { createServer, request } from 'node:http'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sseErrorEvent } from '../../server/wire/error-envelope'
import { MOCK_HEADERS, startMockUpstream, type MockUpstream } from '../support/mock-upstream'
import { closeServer, errorOf, listen, rawRequest, RecordingObserver, startProxy, type RunningProxy } from '../support/proxy-harness'
import { captureLogger } from '../support/capture-logger'

const THINKING_BODY = JSON.stringify({
  model: 'claude-opus-4-5-20251101',
  max_tokens: 32000,
  messages: [{ role: 'user', content: 'x'.repeat(40_000) }],
  thinking: { type: 'enabled', budget_tokens: 31999 },
  stream: true,
})

describe('failures', () => {
  let upstream: MockUpstream
  let observer: RecordingObserver
  let log: ReturnType<typeof captureLogger>
  let running: RunningProxy | undefined

  beforeEach(async () => {
    upstream = await startMockUpstream()
    observer = new RecordingObserver()
    log = captureLogger()
  })
  afterEach(async () => {
    await running?.close()
    running = undefined
    await upstream.close()
  })

  const start = async (options: { headerTimeoutMs?: number; idleTimeoutMs?: number; maxBodyBytes?: number; forwardUrl?: string } = {}) => {
    running = await startProxy({ forwardUrl: upstream.url, observer, logger: log.logger, ...options })
    return running
  }

  it('answers 502 in Anthropic’s envelope when upstream resets the connection before headers', async () => {
    const { url } = await start()
    const response = await rawRequest(url, { path: '/v1/messages', headers: [MOCK_HEADERS.scenario, 'reset-before-headers'], body: '{}' })

    expect(response.status).toBe(502)
    expect(response.headers['content-type']).toBe('application/json')
    expect(JSON.parse(response.body.toString())).toEqual({
      type: 'error',
      error: { type: 'api_error', message: expect.stringContaining('closed the connection') },
    })
    const { end } = await observer.ended()
    expect(errorOf(end)).toMatchObject({ code: 'UPSTREAM_RESET', status: 502 })
  })

  it('answers 502 UPSTREAM_UNREACHABLE when nothing listens upstream', async () => {
    const closed = createServer()
    const closedUrl = await listen(closed)
    await closeServer(closed)
    const { url } = await start({ forwardUrl: closedUrl })

    const response = await rawRequest(url, { path: '/v1/messages', body: '{}' })

    expect(response.status).toBe(502)
    expect(JSON.parse(response.body.toString()).error.type).toBe('api_error')
    const { end } = await observer.ended()
    expect(errorOf(end).code).toBe('UPSTREAM_UNREACHABLE')
    expect(log.lines.find((l) => l.code === 'UPSTREAM_UNREACHABLE')).toMatchObject({ ctx_err: 'ECONNREFUSED' })
  })

  it('answers 504 timeout_error when upstream sends no headers in time, aborts upstream, and logs one structured line', async () => {
    const { url } = await start({ headerTimeoutMs: 200 })
    const response = await rawRequest(url, {
      path: '/v1/messages?beta=true',
      headers: [MOCK_HEADERS.scenario, 'hang', 'anthropic-beta', 'interleaved-thinking-2025-05-14', 'content-type', 'application/json'],
      body: THINKING_BODY,
    })

    expect(response.status).toBe(504)
    expect(JSON.parse(response.body.toString()).error).toMatchObject({ type: 'timeout_error' })
    await upstream.waitForAbort()
    const { start: started, end } = await observer.ended()
    expect(errorOf(end).code).toBe('UPSTREAM_HEADERS_TIMEOUT')
    const lines = log.lines.filter((l) => l.code !== undefined)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({
      level: 50,
      code: 'UPSTREAM_HEADERS_TIMEOUT',
      request_id: started.id,
      model: 'claude-opus-4-5-20251101',
      stream: true,
      has_thinking: true,
      body_bytes: Buffer.byteLength(THINKING_BODY),
      anthropic_beta: 'interleaved-thinking-2025-05-14',
      query: 'beta=true',
      ctx_err: 'UND_ERR_HEADERS_TIMEOUT',
    })
    expect(lines[0].elapsed).toBeGreaterThanOrEqual(150)
  })

  it('bounds only silence: a stream lasting longer than both timeouts completes', async () => {
    const { url } = await start({ headerTimeoutMs: 300, idleTimeoutMs: 300 })
    const response = await rawRequest(url, {
      path: '/v1/messages',
      headers: [MOCK_HEADERS.scenario, 'slow-stream', MOCK_HEADERS.delayMs, '100', MOCK_HEADERS.events, '15'],
      body: '{"stream":true}',
    })

    expect(response.body.equals(upstream.sentBody(upstream.requests[0]))).toBe(true)
    const { end } = await observer.ended()
    expect(end.kind).toBe('completed')
    // undici's timers are coarse (they fire up to about a second late), so outlast that too.
    expect(end.offsetMs).toBeGreaterThan(1500)
  })

  it('ends an SSE stream with an error event when upstream goes silent mid-stream, and records the failure', async () => {
    const { url } = await start({ idleTimeoutMs: 200 })
    const response = await rawRequest(url, {
      path: '/v1/messages',
      headers: [MOCK_HEADERS.scenario, 'slow-stream', MOCK_HEADERS.delayMs, '5000'],
      body: '{"stream":true}',
    })

    const { end } = await observer.ended()
    const error = errorOf(end)
    expect(error.code).toBe('UPSTREAM_IDLE_TIMEOUT')
    const sent = upstream.sentBody(upstream.requests[0])
    expect(response.body.toString()).toBe(sent.toString() + sseErrorEvent(error))
    expect(response.body.toString()).toMatch(/event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"[^"]+"\}\}\n\n$/)
    await upstream.waitForAbort()
  })

  it('ends an SSE stream with an error event and records UPSTREAM_RESET when upstream resets mid-stream', async () => {
    const { url } = await start()
    const response = await rawRequest(url, { path: '/v1/messages', headers: [MOCK_HEADERS.scenario, 'reset-mid-stream'], body: '{"stream":true}' })

    const { end, chunks } = await observer.ended()
    const error = errorOf(end)
    expect(error.code).toBe('UPSTREAM_RESET')
    expect(chunks.length).toBeGreaterThan(0)
    expect(response.body.toString()).toBe(upstream.sentBody(upstream.requests[0]).toString() + sseErrorEvent(error))
  })

  it('relays an error event upstream itself sent mid-stream unchanged and completes', async () => {
    const { url } = await start()
    const response = await rawRequest(url, { path: '/v1/messages', headers: [MOCK_HEADERS.scenario, 'stream-error'], body: '{"stream":true}' })

    expect(response.body.equals(upstream.sentBody(upstream.requests[0]))).toBe(true)
    expect((await observer.ended()).end.kind).toBe('completed')
  })

  it('aborts upstream and ends as aborted when the client hangs up mid-stream', async () => {
    const { url, proxy } = await start()
    await new Promise<void>((resolve, reject) => {
      const req = request(`${url}/v1/messages`, { method: 'POST', headers: { [MOCK_HEADERS.scenario]: 'slow-stream', [MOCK_HEADERS.delayMs]: '1000' } }, (res) => {
        res.once('data', () => {
          req.destroy()
          resolve()
        })
      })
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)))
      req.end('{"stream":true}')
    })

    const aborted = await upstream.waitForAbort()
    const { end, calls } = await observer.ended()
    expect(end.kind).toBe('aborted')
    expect(calls[0]).toBe('onStart')
    expect(aborted.response.finished).toBe(false)
    expect(proxy.inFlight).toBe(0)
    expect(log.lines.filter((l) => l.code !== undefined)).toHaveLength(0)
  })

  it('aborts upstream when the client hangs up while waiting for headers', async () => {
    const { url, proxy } = await start()
    const req = request(`${url}/v1/messages`, { method: 'POST', headers: { [MOCK_HEADERS.scenario]: 'hang' } })
    req.on('error', () => {})
    req.end('{}')
    await upstream.waitForRequests(1)
    expect(proxy.inFlight).toBe(1)
    req.destroy()

    await upstream.waitForAbort()
    expect((await observer.ended()).end.kind).toBe('aborted')
    expect(proxy.inFlight).toBe(0)
  })
})

describe('failures from a raw upstream', () => {
  let running: RunningProxy | undefined
  let upstreamServer: ReturnType<typeof createServer> | undefined
  afterEach(async () => {
    await running?.close()
    if (upstreamServer) await closeServer(upstreamServer)
    running = undefined
    upstreamServer = undefined
  })

  const startWith = async (handler: Parameters<typeof createServer>[1], observer: RecordingObserver) => {
    upstreamServer = createServer(handler)
    running = await startProxy({ forwardUrl: await listen(upstreamServer), observer })
    return running
  }

  /** Resolves with what the client got before its connection ended, and how it ended. */
  const readUntilClosed = (url: string) =>
    new Promise<{ body: string; complete: boolean }>((resolve, reject) => {
      const req = request(`${url}/v1/messages`, { method: 'POST' }, (res) => {
        let body = ''
        res.on('data', (part: Buffer) => (body += part.toString()))
        res.on('close', () => resolve({ body, complete: res.complete }))
      })
      req.on('error', reject)
      req.end('{}')
    })

  it('cuts the client connection when a JSON body breaks off mid-way', async () => {
    const observer = new RecordingObserver()
    const { url } = await startWith((req, res) => {
      req.resume()
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' })
      res.write('{"type":"message"', () => res.socket?.destroy())
    }, observer)

    const result = await readUntilClosed(url)

    expect(result).toEqual({ body: '{"type":"message"', complete: false })
    expect(errorOf((await observer.ended()).end).code).toBe('UPSTREAM_RESET')
  })

  it('ends the pending event with a blank line before the error event when SSE breaks off between its lines', async () => {
    const observer = new RecordingObserver()
    const partial = 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}\n'
    const { url } = await startWith((req, res) => {
      req.resume()
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write(partial, () => res.socket?.destroy())
    }, observer)

    const result = await readUntilClosed(url)

    const error = errorOf((await observer.ended()).end)
    expect(result).toEqual({ body: `${partial}\n${sseErrorEvent(error)}`, complete: true })
  })

  it('cuts the client connection instead of appending an error event when SSE breaks off inside a line', async () => {
    const observer = new RecordingObserver()
    const { url } = await startWith((req, res) => {
      req.resume()
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('event: ping\ndata: {"type": "pi', () => res.socket?.destroy())
    }, observer)

    const result = await readUntilClosed(url)

    expect(result).toEqual({ body: 'event: ping\ndata: {"type": "pi', complete: false })
    expect(errorOf((await observer.ended()).end).code).toBe('UPSTREAM_RESET')
  })
})

describe('request limits', () => {
  let upstream: MockUpstream
  let observer: RecordingObserver
  let running: RunningProxy

  beforeEach(async () => {
    upstream = await startMockUpstream()
    observer = new RecordingObserver()
    running = await startProxy({ forwardUrl: upstream.url, observer, maxBodyBytes: 1024 })
  })
  afterEach(async () => {
    await running.close()
    await upstream.close()
  })

  it('answers 413 request_too_large to a declared length over maxBodyBytes without forwarding anything, announcing only the refusal', async () => {
    const response = await rawRequest(running.url, { path: '/v1/messages', body: 'x'.repeat(4096) })

    expect(response.status).toBe(413)
    expect(JSON.parse(response.body.toString())).toEqual({
      type: 'error',
      error: { type: 'request_too_large', message: expect.stringContaining('1024') },
    })
    expect(upstream.requests).toHaveLength(0)
    expect(observer.exchanges.map((e) => e.end?.kind)).toEqual(['refused'])
    expect(running.proxy.inFlight).toBe(0)
  })

  it('answers 413 to a chunked body once it grows past maxBodyBytes', async () => {
    const response = await rawRequest(running.url, {
      path: '/v1/messages',
      headers: ['transfer-encoding', 'chunked'],
      body: 'y'.repeat(2048),
    })

    expect(response.status).toBe(413)
    expect(upstream.requests).toHaveLength(0)
    expect(running.proxy.inFlight).toBe(0)
  })

  it('forwards a body of exactly maxBodyBytes', async () => {
    const body = 'z'.repeat(1024)
    const response = await rawRequest(running.url, { path: '/v1/messages', headers: [MOCK_HEADERS.scenario, 'echo'], body })

    expect(response.status).toBe(200)
    expect(response.body.toString()).toBe(body)
  })
})
