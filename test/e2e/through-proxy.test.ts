/**
 * Issue-level acceptance: the official Anthropic SDK talks to the mock upstream through a whole
 * Claudescope (proxy, capture, store, GraphQL) and must get exactly what it gets talking to the mock
 * directly; every exchange is then read back through GraphQL.
 */
import Anthropic from '@anthropic-ai/sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { graphql, type ResultOf } from '../../client/src/graphql/graphql'
import { BIG_INTEGER_TEXT, DEFAULT_MODEL, messageFixture, MESSAGE_KINDS } from '../support/anthropic-fixtures'
import { queryGraphQL, subscribeGraphQL } from '../support/graphql-client'
import { MOCK_HEADERS } from '../support/mock-upstream'
import { apiErrorOf, rejectionOf, scenario, sdkClient } from '../support/sdk-client'
import { startApp, type TestApp } from '../support/start-app'
import { waitFor } from '../support/wait'

const STORED_REQUEST = graphql(`query StoredRequest($id: ID!) {
  request(id: $id) {
    id upstreamRequestId model status httpStatus stream stopReason error errorCode path query
    ttfbMs durationMs apiKeyFingerprint organizationId requestBodyText responseBodyText responseBody responseSse
    requestHeaders responseHeaders
    usage { inputTokens outputTokens cacheCreationInputTokens cacheCreation5mInputTokens cacheCreation1hInputTokens cacheReadInputTokens thinkingTokens }
    chunks { seq event data offsetMs bytes }
  }
}`)
type StoredRequest = NonNullable<ResultOf<typeof STORED_REQUEST>['request']>

const RECENT_REQUESTS = graphql('query RecentRequests { requests(first: 200) { nodes { id upstreamRequestId status } } }')

let app: TestApp
let direct: Anthropic
let proxied: Anthropic
/** JSON-equal form with the per-response ids (message id, error request_id) blanked: the mock, like the API, mints new ones each time. */
const plain = (value: unknown) => JSON.parse(JSON.stringify(value), (key, v: unknown) => (key === 'id' && typeof v === 'string' && v.startsWith('msg_')) || key === 'request_id' ? '<id>' : v) as unknown
const params = { model: DEFAULT_MODEL, max_tokens: 1024, messages: [{ role: 'user' as const, content: 'Hello' }] }

/** The stored record of the upstream exchange whose request-id is `upstreamRequestId`, once completed. */
async function storedByUpstreamId(upstreamRequestId: string): Promise<StoredRequest> {
  const { id } = await waitFor(async () => {
    const data = await queryGraphQL(app.url, RECENT_REQUESTS)
    return data.requests.nodes.find((r) => r.upstreamRequestId === upstreamRequestId && r.status !== 'IN_FLIGHT')
  }, `a finished record for ${upstreamRequestId}`)
  return storedById(id)
}

async function storedById(id: string): Promise<StoredRequest> {
  return waitFor(async () => {
    const data = await queryGraphQL(app.url, STORED_REQUEST, { id })
    return data.request && data.request.status !== 'IN_FLIGHT' ? data.request : null
  }, `a finished record ${id}`)
}

const lastUpstreamRequest = () => app.upstream.requests.at(-1)!

beforeAll(async () => {
  app = await startApp()
  direct = sdkClient(app.upstreamUrl, 'sk-ant-test-key')
  proxied = sdkClient(app.url, 'sk-ant-test-key')
})
afterAll(async () => {
  await app?.close()
})

describe('the official SDK through Claudescope', () => {
  it.each(MESSAGE_KINDS)('gets the same non-streaming %s message as directly, and it is stored with its usage', async (kind) => {
    const viaDirect = await direct.messages.create(params, scenario(kind))
    const viaProxy = await proxied.messages.create(params, scenario(kind)).withResponse()
    expect(plain(viaProxy.data)).toEqual(plain(viaDirect))

    const stored = await storedByUpstreamId(viaProxy.request_id!)
    expect(stored).toMatchObject({ model: DEFAULT_MODEL, status: 'COMPLETED', httpStatus: 200, stream: false, stopReason: viaDirect.stop_reason, path: '/v1/messages' })
    expect(stored.responseBodyText).toBe(app.upstream.sentBody(lastUpstreamRequest()).toString())
    expect(stored.responseBodyText).toBe(messageFixture(kind, { id: viaProxy.data.id }).json)
    expect(stored.usage?.outputTokens).toBe(viaDirect.usage.output_tokens)
    expect(stored.usage?.inputTokens).toBe(viaDirect.usage.input_tokens)
    expect(stored.usage?.cacheReadInputTokens).toBe(viaDirect.usage.cache_read_input_tokens)
  })

  it.each(MESSAGE_KINDS)('gets the same streamed %s message as directly, and the stored record rebuilds it', async (kind) => {
    const viaDirect = await direct.messages.stream(params, scenario(kind)).finalMessage()
    const stream = proxied.messages.stream(params, scenario(kind))
    const viaProxy = await stream.finalMessage()
    expect(plain(viaProxy)).toEqual(plain(viaDirect))

    const requestId = (await stream.withResponse()).request_id!
    const stored = await storedByUpstreamId(requestId)
    expect(stored).toMatchObject({ status: 'COMPLETED', stream: true, stopReason: viaDirect.stop_reason })
    expect(stored.responseBodyText).toBe(messageFixture(kind, { id: viaProxy.id }).json)
    expect(stored.responseBody).toMatchObject({ content: viaDirect.content.map((b) => ({ type: b.type })) })
    expect(stored.chunks.map((c) => c.event)).toEqual(messageFixture(kind).events.map((e) => e.event))
    expect(stored.chunks.every((c, i) => c.seq === i && c.bytes > 0 && c.offsetMs >= 0)).toBe(true)
    expect(stored.usage?.outputTokens).toBe(viaDirect.usage.output_tokens)
    expect(stored.usage?.inputTokens).toBe(viaDirect.usage.input_tokens)
  })

  it('sees the same 429 status, retry-after and error body as directly, and the record is FAILED', async () => {
    const directError = await apiErrorOf(direct.messages.create(params, scenario('rate-limited')))
    const proxiedError = await apiErrorOf(proxied.messages.create(params, scenario('rate-limited')))
    expect(proxiedError).toBeInstanceOf(Anthropic.RateLimitError)
    expect(proxiedError.status).toBe(429)
    expect(proxiedError.headers?.get('retry-after')).toBe('7')
    expect(plain(proxiedError.error)).toEqual(plain(directError.error))

    const stored = await storedByUpstreamId(proxiedError.requestID!)
    expect(stored).toMatchObject({ status: 'FAILED', httpStatus: 429 })
    expect(stored.error).toContain('rate')
  })

  it('sees the same 529 overloaded error as directly', async () => {
    const directError = await apiErrorOf(direct.messages.create(params, scenario('overloaded')))
    const proxiedError = await apiErrorOf(proxied.messages.create(params, scenario('overloaded')))
    expect(proxiedError.status).toBe(529)
    expect(plain(proxiedError.error)).toEqual(plain(directError.error))
    expect((await storedByUpstreamId(proxiedError.requestID!)).httpStatus).toBe(529)
  })

  it('raises the same error for an error event mid-stream, and records it as the stream error', async () => {
    const directError = await rejectionOf(direct.messages.stream(params, scenario('stream-error')).finalMessage())
    const proxiedError = await rejectionOf(proxied.messages.stream(params, scenario('stream-error')).finalMessage())
    expect(proxiedError).toBeInstanceOf(Error)
    expect(proxiedError.message).toBe(directError.message)

    const stored = await storedByUpstreamId(lastUpstreamRequest().requestId)
    expect(stored.status).toBe('FAILED')
    expect(stored.error).toMatch(/overload/i)
  })

  it('passes count_tokens through and records it', async () => {
    const viaDirect = await direct.messages.countTokens(params)
    const viaProxy = await proxied.messages.countTokens(params).withResponse()
    expect(viaProxy.data).toEqual(viaDirect)
    const stored = await storedByUpstreamId(viaProxy.request_id!)
    expect(stored).toMatchObject({ path: '/v1/messages/count_tokens', status: 'COMPLETED' })
  })

  it('keeps ?beta=true on the way upstream and records the query', async () => {
    const result = await proxied.beta.messages.create(params, { query: { beta: 'true' } }).withResponse()
    expect(lastUpstreamRequest().url).toBe('/v1/messages?beta=true')
    expect((await storedByUpstreamId(result.request_id!)).query).toBe('beta=true')
  })

  it('never stores the API key, only its fingerprint', async () => {
    const result = await proxied.messages.create(params).withResponse()
    const stored = await storedByUpstreamId(result.request_id!)
    expect(stored.apiKeyFingerprint).toMatch(/^key:[0-9a-f]{8}$/)
    expect(JSON.stringify(stored.requestHeaders)).not.toContain('sk-ant-test-key')
    expect(stored.requestHeaders).toMatchObject({ authorization: stored.apiKeyFingerprint })
    expect(lastUpstreamRequest().headers.authorization).toBe('Bearer sk-ant-test-key')
  })
})

describe('raw bytes through Claudescope', () => {
  const post = (body: string | Buffer, headers: Record<string, string> = {}, signal?: AbortSignal) =>
    fetch(`${app.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-raw', 'anthropic-version': '2023-06-01', ...headers }, body: typeof body === 'string' ? body : new Uint8Array(body), signal })

  it('delivers exactly the SSE bytes the upstream sent, even when upstream splits events mid-character', async () => {
    const res = await post(JSON.stringify({ ...params, stream: true }), { [MOCK_HEADERS.scenario]: 'stream-tool-use', [MOCK_HEADERS.chunkBytes]: '7' })
    const received = Buffer.from(await res.arrayBuffer())
    expect(received.equals(app.upstream.sentBody(lastUpstreamRequest()))).toBe(true)
    expect(res.headers.get('request-id')).toBe(lastUpstreamRequest().requestId)
  })

  it('forwards request body bytes unchanged, invalid JSON included', async () => {
    const bodies = [`{"model":"${DEFAULT_MODEL}","max_tokens":5,"messages":[{"role":"user","content":"x"}],"n":${BIG_INTEGER_TEXT}}`, '{"model": "x", oops', '  {"spaced" :  1 }  ']
    for (const body of bodies) {
      await post(body, { [MOCK_HEADERS.scenario]: 'echo' })
      expect(lastUpstreamRequest().body.toString()).toBe(body)
      const stored = await storedByUpstreamId(lastUpstreamRequest().requestId)
      expect(stored.requestBodyText).toBe(body)
    }
  })

  it('delivers and stores a tool input holding 12345678901234567890 intact', async () => {
    const res = await post(JSON.stringify({ ...params, stream: true }), { [MOCK_HEADERS.scenario]: 'stream-tool-use' })
    const text = await res.text()
    expect(text).toContain('8901234567890')
    const stored = await storedByUpstreamId(lastUpstreamRequest().requestId)
    expect(stored.responseBodyText).toContain(`"account_id":${BIG_INTEGER_TEXT}`)

    const nonStreamed = await post(JSON.stringify(params), { [MOCK_HEADERS.scenario]: 'tool-use' })
    expect(await nonStreamed.text()).toContain(BIG_INTEGER_TEXT)
    expect((await storedByUpstreamId(lastUpstreamRequest().requestId)).responseBodyText).toContain(BIG_INTEGER_TEXT)
  })

  it('delivers the first event before a slow stream ends', async () => {
    const res = await post(JSON.stringify({ ...params, stream: true }), { [MOCK_HEADERS.scenario]: 'slow-stream', [MOCK_HEADERS.delayMs]: '150', [MOCK_HEADERS.events]: '6' })
    const reader = res.body!.getReader()
    const first = await reader.read()
    expect(new TextDecoder().decode(first.value)).toContain('event: message_start')
    expect(lastUpstreamRequest().response.finished).toBe(false)
    while (!(await reader.read()).done);
  })

  it('aborts the upstream call when the client hangs up, and records ABORTED', async () => {
    const controller = new AbortController()
    const pending = post(JSON.stringify(params), { [MOCK_HEADERS.scenario]: 'hang' }, controller.signal).catch((e: unknown) => e)
    const upstreamRequest = await waitFor(() => app.upstream.requests.find((r) => r.scenario === 'hang' && !r.aborted), 'the hanging request upstream')
    controller.abort()
    expect(await pending).toBeInstanceOf(Error)
    const aborted = await app.upstream.waitForAbort(upstreamRequest.requestId)
    expect(aborted.aborted).toBe(true)
    const record = await waitFor(async () => {
      const data = await queryGraphQL(app.url, graphql('query AbortedRequests { requests(first: 5, filter: { statuses: [ABORTED] }) { nodes { id status errorCode } } }'))
      return data.requests.nodes[0]
    }, 'an ABORTED record')
    expect(record.status).toBe('ABORTED')
  })

  it('answers 502 in the Anthropic envelope when upstream resets, and records FAILED', async () => {
    const res = await post(JSON.stringify(params), { [MOCK_HEADERS.scenario]: 'reset-before-headers' })
    expect(res.status).toBe(502)
    const body = (await res.json()) as { type: string; error: { type: string; message: string } }
    expect(body.type).toBe('error')
    expect(body.error.type).toBe('api_error')
    const record = await waitFor(async () => {
      const data = await queryGraphQL(app.url, graphql('query FailedRequests { requests(first: 5, filter: { statuses: [FAILED] }) { nodes { id status httpStatus errorCode } } }'))
      return data.requests.nodes.find((r) => r.errorCode === 'UPSTREAM_RESET' || r.errorCode === 'UPSTREAM_UNREACHABLE')
    }, 'a FAILED record for the reset')
    expect(record.httpStatus).toBe(502)
  })

  it('answers HEAD / for Claude Code start-up probes', async () => {
    const res = await fetch(app.url, { method: 'HEAD' })
    expect(res.status).toBe(200)
  })
})

describe('live subscriptions', () => {
  it('pushes chunks of a slow stream to a graphql-ws subscriber before the stream ends', async () => {
    const sub = subscribeGraphQL(app.url, graphql('subscription LiveChunks { liveChunks { requestId seq event } }'))
    const started = subscribeGraphQL(app.url, graphql('subscription RequestEvents { requestEvents { kind request { id } } }'))
    try {
      await waitFor(() => app.app.bus.subscriberCount >= 2, 'both subscriptions to reach the live bus')
      const res = fetch(`${app.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-live', [MOCK_HEADERS.scenario]: 'slow-stream', [MOCK_HEADERS.delayMs]: '200', [MOCK_HEADERS.events]: '8' },
        body: JSON.stringify({ ...params, stream: true }),
      })
      const [first] = await sub.waitFor(2)
      expect(lastUpstreamRequest().response.finished).toBe(false)
      expect(first!.liveChunks.event).toBe('message_start')
      const inFlight = await started.waitFor(1)
      expect(inFlight[0]!.requestEvents.kind).toBe('IN_FLIGHT')

      const late = subscribeGraphQL(app.url, graphql('subscription StreamChunks($id: ID!) { streamChunks(requestId: $id) { seq } }'), { id: first!.liveChunks.requestId })
      await (await res).text()
      await late.completed
      expect(late.results.map((r) => r.streamChunks.seq)).toEqual(late.results.map((_, i) => i))
      expect(late.results.length).toBeGreaterThanOrEqual(8)
      await late.close()
    } finally {
      await sub.close()
      await started.close()
    }
  })

  it('shows a stream no one was watching, held upstream, with every event so far to a late subscriber and a query, then the rest', async () => {
    await waitFor(() => app.app.bus.subscriberCount === 0, 'the subscriptions of earlier tests to leave the live bus')
    const started = subscribeGraphQL(app.url, graphql('subscription RequestStarts { requestEvents { kind request { id } } }'))
    try {
      await waitFor(() => app.app.bus.subscriberCount === 1, 'the request subscription to reach the live bus')
      expect(app.app.bus.hasChunkSubscribers).toBe(false)
      const res = await fetch(`${app.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-live', [MOCK_HEADERS.gate]: 'unwatched', [MOCK_HEADERS.holdAfter]: '4' },
        body: JSON.stringify({ ...params, stream: true }),
      })
      // The client has the four events sent before the gate, so capture has them too.
      const reader = res.body!.getReader()
      let received = ''
      while (received.split('\n\n').length <= 4) {
        const { done, value } = await reader.read()
        if (done) throw new Error(`the stream ended before its gate, after: ${received}`)
        received += new TextDecoder().decode(value)
      }
      const [inFlight] = await started.waitFor(1)
      const id = inFlight!.requestEvents.request.id

      // A query, once the request's IN_FLIGHT row is stored; no one watches the chunks yet.
      const HELD_CHUNKS = graphql('query HeldChunks($id: ID!) { request(id: $id) { chunks { seq } } }')
      const queried = await waitFor(async () => (await queryGraphQL(app.url, HELD_CHUNKS, { id })).request, 'the in-flight request in the store')
      expect(queried.chunks.map((c) => c.seq)).toEqual([0, 1, 2, 3])
      expect(app.app.bus.hasChunkSubscribers).toBe(false)

      const late = subscribeGraphQL(app.url, graphql('subscription HeldStream($id: ID!) { streamChunks(requestId: $id) { seq event } }'), { id })
      expect((await late.waitFor(4)).map((r) => r.streamChunks.event)).toEqual(['message_start', 'ping', 'content_block_start', 'content_block_delta'])

      app.upstream.openGate('unwatched')
      while (!(await reader.read()).done);
      await late.completed
      const seqs = late.results.map((r) => r.streamChunks.seq)
      expect(seqs).toEqual(seqs.map((_, i) => i))
      expect(seqs.length).toBeGreaterThan(4)
    } finally {
      await started.close()
    }
  })
})
