import type Anthropic from '@anthropic-ai/sdk'
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_MODEL } from '../support/anthropic-fixtures'
import { queryGraphQL, subscribeGraphQL } from '../support/graphql-client'
import { sdkClient } from '../support/sdk-client'
import { startApp, type TestApp } from '../support/start-app'
import { waitFor } from '../support/wait'

let app: TestApp
let proxied: Anthropic

beforeAll(async () => {
  app = await startApp()
  proxied = sdkClient(app.url, 'sk-ant-test-key')
})
afterAll(async () => {
  await app?.close()
})

const params = { model: DEFAULT_MODEL, max_tokens: 1024, messages: [{ role: 'user' as const, content: 'Hello' }] }

interface CostedRequest {
  id: string
  stream: boolean
  costUsd: number | null
  costUsdExact: string | null
  costStatus: string | null
  priceId: string | null
}

/** The costed record of the exchange upstream answered with `upstreamRequestId`. */
function costedRecord(upstreamRequestId: string): Promise<CostedRequest> {
  return waitFor(async () => {
    const data = await queryGraphQL<{ requests: { nodes: Array<CostedRequest & { upstreamRequestId: string }> } }>(
      app.url,
      'query { requests(first: 50) { nodes { id upstreamRequestId stream costUsd costUsdExact costStatus priceId } } }',
    )
    return data.requests.nodes.find((r) => r.upstreamRequestId === upstreamRequestId && r.costStatus !== null) ?? null
  }, `a costed record for ${upstreamRequestId}`)
}

describe('cost through the proxy', () => {
  it('prices a cached response the same streamed and not, and the usage report adds them up', async () => {
    const streamed = proxied.messages.stream(params)
    await streamed.finalMessage()
    const streamedId = (await streamed.withResponse()).response.headers.get('request-id')!
    const { response } = await proxied.messages.create(params).withResponse()

    // The mock's usage: 12 input x $3 + 1,536 5m writes x $3.75 + 512 1h writes x $6 + 4,096 reads x $0.30 + 42 output x $15, per million
    const expected = { costUsdExact: '0.0107268', costUsd: 0.0107268, costStatus: 'PRICED', priceId: 'shipped:claude-sonnet-4-6:2026-03-13:0' }
    expect(await costedRecord(streamedId)).toMatchObject({ stream: true, ...expected })
    expect(await costedRecord(response.headers.get('request-id')!)).toMatchObject({ stream: false, ...expected })

    const to = new Date(Date.now() + 60_000).toISOString()
    const from = new Date(Date.now() - 3_600_000).toISOString()
    const data = await queryGraphQL<{ usage: { totals: { requests: number; costUsdExact: string }; buckets: Array<{ model: string; requests: number }> } }>(
      app.url,
      'query ($range: TimeRange!) { usage(range: $range, groupBy: [DAY, MODEL], timezone: "Asia/Kathmandu") { totals { requests costUsdExact } buckets { model requests } } }',
      { range: { from, to } },
    )
    expect(data.usage.totals).toEqual({ requests: 2, costUsdExact: '0.0214536' })
  })

  it('publishes a completion live with its cost, before any reload', async () => {
    // The price book loads as the app starts; reading it through the API waits for it.
    await queryGraphQL(app.url, 'query { prices(model: "claude-sonnet-4-6") { id } }')
    const subscribers = app.app.bus.subscriberCount
    const events = subscribeGraphQL<{ requestEvents: { kind: string; request: { upstreamRequestId: string | null; costUsdExact: string | null; costStatus: string | null; priceId: string | null } } }>(
      app.url,
      'subscription { requestEvents { kind request { upstreamRequestId costUsdExact costStatus priceId } } }',
    )
    try {
      await waitFor(() => app.app.bus.subscriberCount === subscribers + 1, 'the subscription open')
      const { response } = await proxied.messages.create(params).withResponse()
      const upstreamId = response.headers.get('request-id')!
      const completed = await waitFor(() => events.results.find((event) => event.requestEvents.kind === 'COMPLETED' && event.requestEvents.request.upstreamRequestId === upstreamId), 'the live completion')
      // The same figures as stored (see the first test): the event is priced with the same book.
      expect(completed.requestEvents.request).toMatchObject({ costUsdExact: '0.0107268', costStatus: 'PRICED', priceId: 'shipped:claude-sonnet-4-6:2026-03-13:0' })
    } finally {
      await events.close()
    }
  })

  it('lists the price book of a model by any of its ids, shipped tiers first by date', async () => {
    const data = await queryGraphQL<{ prices: Array<{ id: string; model: string; minInputTokens: number; inputUsdPerMTok: string; source: string }> }>(
      app.url,
      'query { prices(model: "claude-sonnet-4-5-20250929") { id model minInputTokens inputUsdPerMTok source } }',
    )
    expect(data.prices).toEqual([
      { id: 'shipped:claude-sonnet-4-5:1970-01-01:0', model: 'claude-sonnet-4-5', minInputTokens: 0, inputUsdPerMTok: '3', source: 'SHIPPED' },
      { id: 'shipped:claude-sonnet-4-5:1970-01-01:200001', model: 'claude-sonnet-4-5', minInputTokens: 200_001, inputUsdPerMTok: '6', source: 'SHIPPED' },
    ])
  })

  it('refuses an invalid price and zone with typed error codes', async () => {
    const post = async (query: string) => {
      const res = await fetch(`${app.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) })
      return ((await res.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code
    }
    expect(await post('mutation { setPrice(price: { model: "claude-haiku-4-5", effectiveFrom: "2026-01-01T00:00:00Z", inputUsdPerMTok: -1, outputUsdPerMTok: 5 }) { recostedRequests } }')).toBe('INVALID_PRICE')
    expect(await post('query { usage(range: { from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z" }, timezone: "+05:30") { totals { requests } } }')).toBe('INVALID_TIMEZONE')
  })
})

// Last: the price it sets must not reach the tests above.
describe('a price change through the proxy', () => {
  it('prices the next request with a price set just before it', async () => {
    const model = 'claude-haiku-4-5'
    const set = await queryGraphQL<{ setPrice: { price: { id: string } } }>(
      app.url,
      `mutation { setPrice(price: { model: "${model}", effectiveFrom: "2026-01-01T00:00:00Z", inputUsdPerMTok: 1, outputUsdPerMTok: 1, cacheWrite5mUsdPerMTok: 1, cacheWrite1hUsdPerMTok: 1, cacheReadUsdPerMTok: 1 }) { price { id } } }`,
    )
    const { response } = await proxied.messages.create({ ...params, model }).withResponse()
    // The mock's usage at $1 per million tokens of every kind: 12 + 1,536 + 512 + 4,096 + 42 tokens.
    expect(await costedRecord(response.headers.get('request-id')!)).toMatchObject({ costUsdExact: '0.006198', costStatus: 'PRICED', priceId: set.setPrice.price.id })
  })

  it('re-costs the conversation a price change re-costed turns of', async () => {
    const model = 'claude-opus-4-6'
    const sessionId = randomUUID()
    const turn = () => proxied.messages.create({ ...params, model }, { headers: { 'x-claude-code-session-id': sessionId } })
    await turn()
    await turn()
    const before = await waitFor(async () => {
      const data = await queryGraphQL<{ conversations: { nodes: Array<{ costUsd: number | null; requestCount: number }> } }>(
        app.url,
        'query ($filter: ConversationFilter) { conversations(filter: $filter, first: 1) { nodes { costUsd requestCount } } }',
        { filter: { sessionId } },
      )
      const conversation = data.conversations.nodes[0]
      return conversation?.requestCount === 2 && conversation.costUsd !== null ? conversation : null
    }, 'the conversation of two priced turns')

    const set = await queryGraphQL<{ setPrice: { recostedRequests: number } }>(
      app.url,
      `mutation { setPrice(price: { model: "${model}", effectiveFrom: "2026-06-01T00:00:00Z", inputUsdPerMTok: 1, outputUsdPerMTok: 1, cacheWrite5mUsdPerMTok: 1, cacheWrite1hUsdPerMTok: 1, cacheReadUsdPerMTok: 1 }) { recostedRequests } }`,
    )
    expect(set.setPrice.recostedRequests).toBe(2)
    // Read once the mutation answered: the re-cost is done by then, the conversation's total with it.
    const data = await queryGraphQL<{ conversations: { nodes: Array<{ costUsd: number | null; turns: Array<{ costUsd: number | null }> }> } }>(
      app.url,
      'query ($filter: ConversationFilter) { conversations(filter: $filter, first: 1) { nodes { costUsd turns { costUsd } } } }',
      { filter: { sessionId } },
    )
    const after = data.conversations.nodes[0]!
    expect(after.turns.map((t) => t.costUsd)).toEqual([0.006198, 0.006198])
    expect(after.costUsd).toBeCloseTo(2 * 0.006198, 12)
    expect(after.costUsd).not.toBeCloseTo(before.costUsd!, 6)
  })
})
