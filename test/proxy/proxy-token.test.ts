import { connect } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MOCK_HEADERS, startMockUpstream, type MockUpstream } from '../support/mock-upstream'
import { rawRequest, RecordingObserver, startProxy, type RunningProxy } from '../support/proxy-harness'

describe('proxy token', () => {
  let upstream: MockUpstream
  let observer: RecordingObserver
  let running: RunningProxy

  beforeEach(async () => {
    upstream = await startMockUpstream()
    observer = new RecordingObserver()
    running = await startProxy({ forwardUrl: upstream.url, observer, proxyToken: 's3cret-token' })
  })
  afterEach(async () => {
    await running.close()
    await upstream.close()
  })

  it('answers 401 authentication_error without the token and forwards nothing, announcing only the refusal', async () => {
    const response = await rawRequest(running.url, { path: '/v1/messages', body: '{}' })

    expect(response.status).toBe(401)
    expect(JSON.parse(response.body.toString())).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: expect.stringContaining('x-claudescope-token') },
    })
    expect(upstream.requests).toHaveLength(0)
    expect(observer.exchanges.map((e) => e.end?.kind)).toEqual(['refused'])
    expect(running.proxy.inFlight).toBe(0)
  })

  it('closes the connection after a 401, so a refused client cannot make it read a large body it will not use', async () => {
    const { port } = new URL(running.url)
    const socket = connect(Number(port), '127.0.0.1')
    const answer: Buffer[] = []
    socket.on('data', (chunk: Buffer) => answer.push(chunk))
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()))
    socket.write('POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 50000000\r\n\r\n{"model":')
    await closed
    const text = Buffer.concat(answer).toString()
    expect(text).toMatch(/^HTTP\/1\.1 401 /)
    expect(text.toLowerCase()).toContain('connection: close')
  })

  it('answers 401 to a wrong token, a prefix of the token, and a repeated token header', async () => {
    for (const headers of [
      ['x-claudescope-token', 'wrong'],
      ['x-claudescope-token', 's3cret'],
      ['x-claudescope-token', 's3cret-token', 'x-claudescope-token', 's3cret-token'],
    ]) {
      const response = await rawRequest(running.url, { path: '/v1/messages', headers, body: '{}' })
      expect(response.status, headers.join(' ')).toBe(401)
    }
    expect(upstream.requests).toHaveLength(0)
  })

  it('forwards a request with the right token, whatever the header spelling, and never sends the token upstream', async () => {
    const response = await rawRequest(running.url, {
      path: '/v1/messages',
      headers: ['X-Claudescope-Token', 's3cret-token', MOCK_HEADERS.scenario, 'echo'],
      body: '{"ok":true}',
    })

    expect(response.status).toBe(200)
    expect(response.body.toString()).toBe('{"ok":true}')
    expect(upstream.requests[0].headers['x-claudescope-token']).toBeUndefined()
    expect((await observer.ended()).start.upstreamHeaders['x-claudescope-token']).toBeUndefined()
  })
})

describe('without a proxy token', () => {
  it('still keeps a stray x-claudescope-token header from reaching upstream', async () => {
    const upstream = await startMockUpstream()
    const running = await startProxy({ forwardUrl: upstream.url })
    try {
      const response = await rawRequest(running.url, { path: '/v1/messages', headers: ['x-claudescope-token', 'anything'], body: '{}' })

      expect(response.status).toBe(200)
      expect(upstream.requests[0].headers['x-claudescope-token']).toBeUndefined()
    } finally {
      await running.close()
      await upstream.close()
    }
  })
})
