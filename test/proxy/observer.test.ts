import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ProxyObserver } from '../../server/proxy/proxy-observer'
import { MOCK_HEADERS, startMockUpstream, type MockUpstream } from '../support/mock-upstream'
import { rawRequest, RecordingObserver, startProxy, type RunningProxy } from '../support/proxy-harness'
import { captureLogger } from '../support/capture-logger'

describe('observer lifecycle', () => {
  let upstream: MockUpstream
  let running: RunningProxy | undefined

  beforeEach(async () => {
    upstream = await startMockUpstream()
  })
  afterEach(async () => {
    await running?.close()
    running = undefined
    await upstream.close()
  })

  it('announces onStart, onResponse, each chunk and onEnd once each, in order, for a stream', async () => {
    const observer = new RecordingObserver()
    running = await startProxy({ forwardUrl: upstream.url, observer })
    await rawRequest(running.url, { path: '/v1/messages', headers: [MOCK_HEADERS.scenario, 'stream-tool-use'], body: '{"stream":true}' })
    const observed = await observer.ended()

    const chunkCount = upstream.requests[0].response.chunks.length
    expect(observed.calls).toEqual(['onStart', 'onResponse', ...Array<string>(chunkCount).fill('onChunk'), 'onEnd'])
    expect(observed.response).toMatchObject({ status: 200, headers: { 'request-id': upstream.requests[0].requestId } })
    expect(observed.response!.headers['transfer-encoding']).toBe('chunked')
  })

  it('announces onStart then onEnd only when upstream fails before headers', async () => {
    const observer = new RecordingObserver()
    running = await startProxy({ forwardUrl: upstream.url, observer })
    await rawRequest(running.url, { path: '/v1/messages', headers: [MOCK_HEADERS.scenario, 'reset-before-headers'], body: '{}' })

    expect((await observer.ended()).calls).toEqual(['onStart', 'onEnd'])
  })

  it('ends each of many concurrent exchanges exactly once and counts none in flight afterwards', async () => {
    const observer = new RecordingObserver()
    running = await startProxy({ forwardUrl: upstream.url, observer })
    const scenarios = ['text', 'stream-text', 'rate-limited', 'reset-before-headers', 'reset-mid-stream', 'gzip'] as const
    const { url } = running
    await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        rawRequest(url, { path: '/v1/messages', headers: [MOCK_HEADERS.scenario, scenarios[i % scenarios.length]], body: '{}' }),
      ),
    )
    for (let i = 0; i < 24; i++) await observer.ended(i)

    expect(observer.violations).toEqual([])
    expect(observer.exchanges.map((e) => e.calls.filter((c) => c === 'onEnd').length)).toEqual(Array<number>(24).fill(1))
    expect(new Set(observer.exchanges.map((e) => e.start.id)).size).toBe(24)
    expect(running.proxy.inFlight).toBe(0)
  })

  it('keeps forwarding byte for byte when every observer hook throws, and logs what escaped', async () => {
    const log = captureLogger()
    const throwing: ProxyObserver = {
      onStart: () => {
        throw new Error('onStart broke')
      },
      onResponse: () => {
        throw new Error('onResponse broke')
      },
      onChunk: () => {
        throw new Error('onChunk broke')
      },
      onEnd: () => {
        throw new Error('onEnd broke')
      },
    }
    running = await startProxy({ forwardUrl: upstream.url, observer: throwing, logger: log.logger })

    const response = await rawRequest(running.url, { path: '/v1/messages', headers: [MOCK_HEADERS.scenario, 'stream-text'], body: '{"stream":true}' })

    expect(response.status).toBe(200)
    expect(response.body.equals(upstream.sentBody(upstream.requests[0]))).toBe(true)
    expect(running.proxy.inFlight).toBe(0)
    const hooks = new Set(log.lines.filter((l) => l.msg === 'proxy observer threw; forwarding continues').map((l) => l.hook))
    expect(hooks).toEqual(new Set(['onStart', 'onResponse', 'onChunk', 'onEnd']))
  })

  it('uses the given id factory for exchange ids', async () => {
    const observer = new RecordingObserver()
    let n = 0
    running = await startProxy({ forwardUrl: upstream.url, observer, newId: () => `exchange-${++n}` })
    await rawRequest(running.url, { path: '/v1/messages', body: '{}' })

    expect((await observer.ended()).start.id).toBe('exchange-1')
  })
})
