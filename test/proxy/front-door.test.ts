import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream'
import { waitFor } from '../support/wait'
import { rawRequest, RecordingObserver, startProxy, type RunningProxy } from '../support/proxy-harness'

let upstream: MockUpstream
let running: RunningProxy
let observer: RecordingObserver

async function start(options: Parameters<typeof startProxy>[0] extends infer O ? Omit<O & object, 'forwardUrl'> & { pathPrefix?: string } : never): Promise<void> {
  upstream = await startMockUpstream()
  observer = new RecordingObserver()
  const { pathPrefix = '', ...rest } = options
  running = await startProxy({ forwardUrl: upstream.url + pathPrefix, observer, ...rest })
}

afterEach(async () => {
  await running?.close()
  await upstream?.close()
})

const MESSAGE = '{"model":"claude-sonnet-4-5","max_tokens":1,"messages":[]}'

/** A raw connection that sends `head` (and `body`, if any), then keeps whatever answer arrives until the server closes it. */
function openRaw(url: string, head: string, body = ''): { socket: net.Socket; answer: Promise<string> } {
  const { port } = new URL(url)
  const socket = net.connect(Number(port), '127.0.0.1')
  socket.write(head + body)
  let received = ''
  socket.on('data', (data: Buffer) => (received += data.toString('latin1')))
  socket.on('error', () => {})
  const answer = new Promise<string>((resolve) => socket.on('close', () => resolve(received)))
  return { socket, answer }
}

/** GET `path` byte for byte (node's client and fetch would resolve its dot segments first); resolves with the status and body. */
async function getRawPath(path: string): Promise<{ status: number; body: string }> {
  const text = await openRaw(running.url, `GET ${path} HTTP/1.1\r\nhost: ${new URL(running.url).host}\r\nconnection: close\r\n\r\n`).answer
  const bodyAt = text.indexOf('\r\n\r\n') + 4
  return { status: Number(text.slice(9, 12)), body: text.slice(bodyAt) }
}

const postHead = (host: string, contentLength: number) =>
  `POST /v1/messages HTTP/1.1\r\nhost: ${host}\r\ncontent-type: application/json\r\ncontent-length: ${contentLength}\r\n\r\n`

describe('cross-origin browser requests', () => {
  it('refuses a request carrying an Origin header with 403 permission_error and forwards nothing', async () => {
    await start({})
    const response = await rawRequest(running.url, { path: '/v1/messages', headers: ['origin', 'https://evil.example', 'content-type', 'text/plain;charset=UTF-8'], body: MESSAGE })

    expect(response.status).toBe(403)
    expect(JSON.parse(response.body.toString())).toEqual({ type: 'error', error: { type: 'permission_error', message: expect.stringContaining('https://evil.example') } })
    expect(response.headers['access-control-allow-origin']).toBeUndefined()
    expect(upstream.requests).toHaveLength(0)
    expect(running.proxy.inFlight).toBe(0)
  })

  it('refuses a request marked Sec-Fetch-Site cross-site or same-site even without an Origin header', async () => {
    await start({})
    for (const site of ['cross-site', 'same-site']) {
      const response = await rawRequest(running.url, { path: '/v1/messages', headers: ['sec-fetch-site', site], body: MESSAGE })
      expect(response.status, site).toBe(403)
    }
    expect(upstream.requests).toHaveLength(0)
  })

  it('forwards a request whose Origin is listed, lets the browser read the answer, and still refuses other origins', async () => {
    await start({ allowedOrigins: ['https://app.example'] })
    const allowed = await rawRequest(running.url, { path: '/v1/messages', headers: ['origin', 'https://app.example', 'sec-fetch-site', 'cross-site'], body: MESSAGE })
    expect(allowed.status).toBe(200)
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example')
    expect(allowed.headers.vary).toMatch(/origin/i)
    expect(upstream.requests).toHaveLength(1)

    const other = await rawRequest(running.url, { path: '/v1/messages', headers: ['origin', 'https://app.example.evil'], body: MESSAGE })
    expect(other.status).toBe(403)
    expect(upstream.requests).toHaveLength(1)
  })

  it('answers a CORS preflight with 403 unless the origin is listed, then with CORS headers, forwarding neither', async () => {
    await start({ allowedOrigins: ['https://app.example'] })
    const preflight = (origin: string) =>
      rawRequest(running.url, { method: 'OPTIONS', path: '/v1/messages', headers: ['origin', origin, 'access-control-request-method', 'POST', 'access-control-request-headers', 'content-type,x-api-key'] })

    const refused = await preflight('https://evil.example')
    expect(refused.status).toBe(403)
    expect(refused.headers['access-control-allow-origin']).toBeUndefined()

    const allowed = await preflight('https://app.example')
    expect(allowed.status).toBe(204)
    expect(allowed.headers).toMatchObject({
      'access-control-allow-origin': 'https://app.example',
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'content-type,x-api-key',
    })
    expect(upstream.requests).toHaveLength(0)
  })
})

describe('paths that leave /v1/', () => {
  it('refuses dot segments that climb out of /v1/, raw, percent-encoded or with backslashes, with 400 invalid_request_error', async () => {
    await start({ pathPrefix: '/gateway/anthropic' })
    for (const path of ['/v1/../admin', '/v1/..', '/v1/%2e%2e/admin', '/v1/%2E./%2e%2E/x', '/v1/.%2e', '/v1/..%2fadmin', '/v1/..\\admin', '/v1/%5c..%5c..%5cadmin', '/v1/models/../../x', '/v1/./../x', '/v1/..;/admin']) {
      const response = await getRawPath(path)
      expect(response.status, path).toBe(400)
      expect(JSON.parse(response.body), path).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } })
    }
    expect(upstream.requests.map((r) => r.url)).toEqual([])
  })

  it('forwards paths whose dot segments stay inside /v1/, under the upstream path prefix', async () => {
    await start({ pathPrefix: '/gateway/anthropic' })
    for (const path of ['/v1/models', '/v1/models/../models', '/v1/files/a..b', '/v1/models/claude-3.5']) {
      // The mock has no routes under the prefix: it records the path and answers 404.
      await getRawPath(path)
    }
    expect(upstream.requests.map((r) => r.url)).toEqual([
      '/gateway/anthropic/v1/models',
      '/gateway/anthropic/v1/models/../models',
      '/gateway/anthropic/v1/files/a..b',
      '/gateway/anthropic/v1/models/claude-3.5',
    ])
  })
})

describe('slow clients', () => {
  it('answers 408 timeout_error and closes the connection when the body stalls past the receive timeout', async () => {
    await start({ receiveTimeoutMs: 300 })
    const { answer } = openRaw(running.url, postHead(new URL(running.url).host, 100), '{"model":')

    const text = await answer
    expect(text).toMatch(/^HTTP\/1\.1 408 /)
    expect(text).toMatch(/connection: close/i)
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toMatchObject({ type: 'error', error: { type: 'timeout_error' } })
    expect(upstream.requests).toHaveLength(0)
    expect(running.proxy.inFlight).toBe(0)
  })

  it('answers 408 to a body that keeps trickling in, one byte at a time, past the receive timeout', async () => {
    await start({ receiveTimeoutMs: 300 })
    const { socket, answer } = openRaw(running.url, postHead(new URL(running.url).host, 10_000))
    const trickle = setInterval(() => socket.writable && socket.write('x'), 20)
    try {
      expect(await answer).toMatch(/^HTTP\/1\.1 408 /)
    } finally {
      clearInterval(trickle)
    }
    expect(running.proxy.inFlight).toBe(0)
  })

  it('cuts a request whose body is still arriving once new work is refused, so nothing stays in flight, and answers new requests 503', async () => {
    await start({})
    const { answer } = openRaw(running.url, postHead(new URL(running.url).host, 100), '{')
    await waitFor(() => running.proxy.inFlight === 1, 'the stalled request to reach the proxy')

    running.proxy.refuseNewWork()

    expect(await answer).toMatch(/^HTTP\/1\.1 503 /)
    expect(running.proxy.inFlight).toBe(0)
    const late = await rawRequest(running.url, { path: '/v1/messages', body: MESSAGE })
    expect(late.status).toBe(503)
    expect(JSON.parse(late.body.toString())).toMatchObject({ error: { type: 'overloaded_error' } })
    expect(upstream.requests).toHaveLength(0)
  })
})

describe('refused requests and the observer', () => {
  it('announces each refusal as a start without upstream headers and a refused end carrying the error', async () => {
    await start({ maxBodyBytes: 16 })
    await rawRequest(running.url, { path: '/v1/messages?beta=true', headers: ['x-api-key', 'sk-refused'], body: MESSAGE })

    const exchange = await observer.ended()
    expect(exchange.calls).toEqual(['onStart', 'onEnd'])
    expect(exchange.start).toMatchObject({ method: 'POST', path: '/v1/messages', query: 'beta=true', upstreamHeaders: {} })
    expect(exchange.start.clientHeaders['x-api-key']).toBe('sk-refused')
    expect(exchange.start.body.length).toBe(0)
    expect(exchange.end).toMatchObject({ kind: 'refused', error: { code: 'BODY_TOO_LARGE', status: 413 } })
  })
})
