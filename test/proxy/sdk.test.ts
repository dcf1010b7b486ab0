import Anthropic from '@anthropic-ai/sdk'
import { createServer } from 'node:http'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { apiErrorOf, scenario, sdkClient, stableHeaders } from '../support/sdk-client'
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream'
import { closeServer, listen, RecordingObserver, startProxy, type RunningProxy } from '../support/proxy-harness'

const params = {
  model: 'claude-sonnet-5-5',
  max_tokens: 256,
  messages: [{ role: 'user' as const, content: 'Hello' }],
}

describe('the official SDK through the proxy', () => {
  let upstream: MockUpstream
  let observer: RecordingObserver
  let running: RunningProxy
  let direct: Anthropic
  let proxied: Anthropic

  beforeEach(async () => {
    upstream = await startMockUpstream()
    observer = new RecordingObserver()
    running = await startProxy({ forwardUrl: upstream.url, observer })
    direct = sdkClient(upstream.url)
    proxied = sdkClient(running.url)
  })
  afterEach(async () => {
    await running.close()
    await upstream.close()
  })

  it.each([
    ['rate-limited', 429, 'rate_limit_error', Anthropic.RateLimitError],
    ['overloaded', 529, 'overloaded_error', Anthropic.InternalServerError],
  ] as const)('sees a %s answer exactly as it sees it without the proxy', async (name, status, type, errorClass) => {
    const withoutProxy = await apiErrorOf(direct.messages.create(params, scenario(name)))
    const throughProxy = await apiErrorOf(proxied.messages.create(params, scenario(name)))

    expect(throughProxy).toBeInstanceOf(errorClass)
    expect(throughProxy.status).toBe(status)
    expect(throughProxy.type).toBe(type)
    expect(throughProxy.apiMessage).toBe(withoutProxy.apiMessage)
    expect(throughProxy.requestID).toBe(upstream.requests[1].requestId)
    expect(stableHeaders(throughProxy.headers)).toEqual(stableHeaders(withoutProxy.headers))
    if (status === 429) expect(throughProxy.headers?.get('retry-after')).toBe('7')
  })

  it('streams a message through the proxy into the same final message', async () => {
    const withoutProxy = await direct.messages.stream(params, scenario('stream-tool-use')).finalMessage()
    const throughProxy = await proxied.messages.stream(params, scenario('stream-tool-use')).finalMessage()

    expect({ ...throughProxy, id: '' }).toEqual({ ...withoutProxy, id: '' })
  })

  it('passes non-message endpoints through: count_tokens and models', async () => {
    const counted = await proxied.messages.countTokens(params)
    const models = await proxied.models.list()

    expect(counted.input_tokens).toBeGreaterThan(0)
    expect(models.data.length).toBeGreaterThan(0)
    expect(upstream.requests.map((r) => r.url)).toEqual(['/v1/messages/count_tokens', '/v1/models'])
  })

  it('raises an API error, not a silently truncated message, when upstream resets mid-stream', async () => {
    const stream = proxied.messages.stream(params, scenario('reset-mid-stream'))
    const error = await apiErrorOf(stream.finalMessage())

    expect(error.message).toMatch(/closed the connection/)
    expect((await observer.ended(0)).end.kind).toBe('failed')
  })

  it('raises a 504 timeout_error when upstream sends no headers in time', async () => {
    const slow = await startProxy({ forwardUrl: upstream.url, headerTimeoutMs: 200 })
    try {
      const client = sdkClient(slow.url)
      const error = await apiErrorOf(client.messages.create(params, scenario('hang')))

      expect(error.status).toBe(504)
      expect(error.type).toBe('timeout_error')
    } finally {
      await slow.close()
    }
  })
})

describe('the official SDK when upstream is unreachable', () => {
  let running: RunningProxy | undefined
  afterEach(async () => {
    await running?.close()
  })

  it('raises a 502 api_error from the proxy envelope', async () => {
    const closed = createServer()
    const closedUrl = await listen(closed)
    await closeServer(closed)
    running = await startProxy({ forwardUrl: closedUrl })
    const client = sdkClient(running.url)

    const error = await apiErrorOf(client.messages.create(params))

    expect(error).toBeInstanceOf(Anthropic.InternalServerError)
    expect(error.status).toBe(502)
    expect(error.type).toBe('api_error')
    expect(error.apiMessage).toMatch(/could not connect to the upstream API/)
  })
})
