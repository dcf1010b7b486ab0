import { createServer } from 'node:http'
import { gunzipSync } from 'node:zlib'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BIG_INTEGER_TEXT } from '../support/anthropic-fixtures'
import { MOCK_HEADERS, startMockUpstream, type MockUpstream } from '../support/mock-upstream'
import { closeServer, headerValues, listen, rawRequest, RecordingObserver, startProxy, type RunningProxy } from '../support/proxy-harness'

describe('forwarding', () => {
  let upstream: MockUpstream
  let running: RunningProxy
  let observer: RecordingObserver

  beforeEach(async () => {
    upstream = await startMockUpstream()
    observer = new RecordingObserver()
    running = await startProxy({ forwardUrl: upstream.url, observer })
  })
  afterEach(async () => {
    await running.close()
    await upstream.close()
  })

  it('forwards method, path, raw query string and body bytes unchanged, including invalid JSON', async () => {
    const body = `{"model":"claude-sonnet-4-5","max_tokens":1,"messages":[{"role":"user","content":"hi"}],"x":${BIG_INTEGER_TEXT}, broken`
    const response = await rawRequest(running.url, {
      path: '/v1/messages?beta=true&x=%20a+b',
      headers: ['content-type', 'application/json', MOCK_HEADERS.scenario, 'echo'],
      body,
    })

    expect(response.status).toBe(200)
    expect(response.body.toString()).toBe(body)
    const [received] = upstream.requests
    expect(received.method).toBe('POST')
    expect(received.url).toBe('/v1/messages?beta=true&x=%20a+b')
    expect(received.body.equals(Buffer.from(body))).toBe(true)
    expect(received.body.toString()).toContain(`"x":${BIG_INTEGER_TEXT}`)
  })

  it('forwards other /v1 paths and methods, a GET without a body included', async () => {
    const response = await rawRequest(running.url, { method: 'GET', path: '/v1/models?limit=2' })

    expect(response.status).toBe(200)
    expect(JSON.parse(response.body.toString())).toMatchObject({ data: expect.any(Array) })
    const [received] = upstream.requests
    expect(received).toMatchObject({ method: 'GET', url: '/v1/models?limit=2' })
    expect(received.headers['content-length']).toBeUndefined()
    expect(received.body.length).toBe(0)
  })

  it('keeps every end-to-end request header, repeated ones with all their values in order', async () => {
    await rawRequest(running.url, {
      path: '/v1/messages',
      headers: [
        'x-api-key', 'sk-ant-api03-secret',
        'authorization', 'Bearer sk-ant-oat01-token',
        'anthropic-version', '2023-06-01',
        'anthropic-beta', 'oauth-2025-04-20',
        'anthropic-beta', 'interleaved-thinking-2025-05-14',
        'x-claude-code-session-id', '5d0c2a9e-7a51-4a8b-9f7e-0b0a4a0d9a11',
        'user-agent', 'claude-cli/2.1.3 (external, cli)',
        'x-stainless-os', 'Linux',
        'x-stainless-retry-count', '0',
        'accept-encoding', 'gzip, br',
        'content-type', 'application/json',
        MOCK_HEADERS.scenario, 'echo',
      ],
      body: '{}',
    })

    const { rawHeaders, headers } = upstream.requests[0]
    expect(headers['x-api-key']).toBe('sk-ant-api03-secret')
    expect(headers.authorization).toBe('Bearer sk-ant-oat01-token')
    expect(headers['anthropic-version']).toBe('2023-06-01')
    expect(headerValues(rawHeaders, 'anthropic-beta')).toEqual(['oauth-2025-04-20', 'interleaved-thinking-2025-05-14'])
    expect(headers['x-claude-code-session-id']).toBe('5d0c2a9e-7a51-4a8b-9f7e-0b0a4a0d9a11')
    expect(headers['user-agent']).toBe('claude-cli/2.1.3 (external, cli)')
    expect(headers['x-stainless-os']).toBe('Linux')
    expect(headers['x-stainless-retry-count']).toBe('0')
    expect(headers['accept-encoding']).toBe('gzip, br')
  })

  it('removes hop-by-hop headers and every header the connection header names, and sets host and content-length for upstream', async () => {
    const body = '{"hello":"world"}'
    await rawRequest(running.url, {
      path: '/v1/messages',
      headers: [
        'Connection', 'keep-alive, X-Per-Hop, x-other-hop',
        'Keep-Alive', 'timeout=5',
        'X-Per-Hop', 'secret-for-this-hop',
        'x-other-hop', '1',
        'Proxy-Authorization', 'Basic Zm9vOmJhcg==',
        'TE', 'trailers',
        'Trailer', 'x-checksum',
        'Upgrade', 'h2c',
        'Expect', '100-continue',
        'Host', 'localhost:3001',
        'Transfer-Encoding', 'chunked',
        'x-kept', 'yes',
        MOCK_HEADERS.scenario, 'echo',
      ],
      body,
    })

    const { headers, rawHeaders } = upstream.requests[0]
    for (const name of ['x-per-hop', 'x-other-hop', 'keep-alive', 'proxy-authorization', 'te', 'trailer', 'upgrade', 'transfer-encoding', 'expect']) {
      expect(headers[name], name).toBeUndefined()
    }
    expect(headers.connection).toBe('keep-alive') // undici's own, for the upstream connection
    expect(headers.host).toBe(new URL(upstream.url).host)
    expect(headerValues(rawHeaders, 'content-length')).toEqual([String(body.length)])
    expect(headers['x-kept']).toBe('yes')
  })

  it("replaces the client's content-length with the length of the body actually sent", async () => {
    const body = `{"n":${BIG_INTEGER_TEXT}}`
    await rawRequest(running.url, {
      path: '/v1/messages',
      headers: ['Content-Length', String(Buffer.byteLength(body)), MOCK_HEADERS.scenario, 'echo'],
      body,
    })

    const { rawHeaders, body: received } = upstream.requests[0]
    expect(headerValues(rawHeaders, 'content-length')).toEqual([String(Buffer.byteLength(body))])
    expect(received.toString()).toBe(body)
  })

  it("relays upstream's status and every end-to-end response header unchanged", async () => {
    const response = await rawRequest(running.url, {
      path: '/v1/messages',
      headers: [MOCK_HEADERS.scenario, 'rate-limited'],
      body: '{}',
    })

    const sent = upstream.requests[0].response
    expect(response.status).toBe(429)
    for (const [name, value] of Object.entries(sent.headers)) expect(response.headers[name], name).toBe(value)
    expect(response.headers['retry-after']).toBe('7')
    expect(response.headers['request-id']).toBe(upstream.requests[0].requestId)
    expect(response.body.equals(upstream.sentBody(upstream.requests[0]))).toBe(true)
  })

  it('relays a gzip response still compressed, with its content-encoding and content-length', async () => {
    const response = await rawRequest(running.url, {
      path: '/v1/messages',
      headers: ['accept-encoding', 'gzip', MOCK_HEADERS.scenario, 'gzip'],
      body: '{}',
    })

    const sent = upstream.sentBody(upstream.requests[0])
    expect(response.headers['content-encoding']).toBe('gzip')
    expect(response.headers['content-length']).toBe(String(sent.length))
    expect(response.body.equals(sent)).toBe(true)
    expect(JSON.parse(gunzipSync(response.body).toString())).toMatchObject({ type: 'message' })
  })

  it("answers HEAD with upstream's status and headers and no body", async () => {
    const response = await rawRequest(running.url, { method: 'HEAD', path: '/v1/models' })

    expect(response.status).toBe(upstream.requests[0].response.status)
    expect(response.headers['request-id']).toBe(upstream.requests[0].requestId)
    expect(response.body.length).toBe(0)
    expect((await observer.ended()).end.kind).toBe('completed')
  })

  it('joins the upstream base path before the request path', async () => {
    const prefixed = await startProxy({ forwardUrl: `${upstream.url}/anthropic/` })
    try {
      await rawRequest(prefixed.url, { path: '/v1/messages?beta=true', headers: [MOCK_HEADERS.scenario, 'echo'], body: '{}' })
    } finally {
      await prefixed.close()
    }

    expect(upstream.requests[0].url).toBe('/anthropic/v1/messages?beta=true')
  })

  it('announces what was forwarded to the observer: path, query, client and upstream headers, body', async () => {
    const sentAt = Date.now()
    await rawRequest(running.url, {
      path: '/v1/messages?beta=true',
      headers: ['Connection', 'close', 'X-Api-Key', 'sk-ant-key', 'anthropic-beta', 'a', 'anthropic-beta', 'b', MOCK_HEADERS.scenario, 'echo'],
      body: '{"a":1}',
    })
    const { start } = await observer.ended()
    const endedAt = Date.now()

    expect(start).toMatchObject({ method: 'POST', path: '/v1/messages', query: 'beta=true' })
    expect(start.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/)
    expect(start.clientHeaders['x-api-key']).toBe('sk-ant-key')
    expect(start.clientHeaders.connection).toBe('close')
    expect(start.upstreamHeaders).toMatchObject({ 'x-api-key': 'sk-ant-key', 'anthropic-beta': ['a', 'b'], 'content-length': '7' })
    expect(start.upstreamHeaders.connection).toBeUndefined()
    expect(start.body.toString()).toBe('{"a":1}')
    // Epoch milliseconds taken during the exchange (whole-millisecond clocks: a millisecond of rounding either way).
    expect(start.startedAt).toBeGreaterThanOrEqual(sentAt - 1)
    expect(start.startedAt).toBeLessThanOrEqual(endedAt + 1)
  })
})

describe('forwarding response headers from a raw upstream', () => {
  it('keeps repeated response headers and set-cookie arrays, and drops hop-by-hop and connection-named ones', async () => {
    const upstream = createServer((req, res) => {
      req.resume()
      res.writeHead(201, 'Created Here', [
        'set-cookie', 'a=1; Path=/',
        'set-cookie', 'b=2; Path=/',
        'x-multi', 'one',
        'x-multi', 'two',
        'connection', 'keep-alive, x-hop-only',
        'x-hop-only', 'drop me',
        'keep-alive', 'timeout=5',
        'content-type', 'application/json',
        'content-length', '2',
      ])
      res.end('{}')
    })
    const upstreamUrl = await listen(upstream)
    const running = await startProxy({ forwardUrl: upstreamUrl })
    try {
      const response = await rawRequest(running.url, { path: '/v1/anything', body: '' })

      expect(response.status).toBe(201)
      expect(response.statusMessage).toBe('Created Here')
      expect(response.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/'])
      expect(headerValues(response.rawHeaders, 'x-multi')).toEqual(['one', 'two'])
      expect(response.headers['x-hop-only']).toBeUndefined()
      expect(response.headers['keep-alive']).not.toBe('timeout=5')
      expect(response.headers['content-length']).toBe('2')
      expect(response.body.toString()).toBe('{}')
    } finally {
      await running.close()
      await closeServer(upstream)
    }
  })
})
