/**
 * Rate limits end to end: the official SDK calls the mock upstream through a whole Claudescope;
 * each response's rate-limit headers become the request's snapshot, the latest per organization
 * and key is the status, it is pushed live, and the 5-hour window is attributed to the requests
 * that consumed it. Each test uses an organization of its own (the mock sets the header asked for).
 */
import { randomUUID } from 'node:crypto'
import type Anthropic from '@anthropic-ai/sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { graphql } from '../../client/src/graphql/graphql'
import { DEFAULT_MODEL } from '../support/anthropic-fixtures'
import { queryGraphQL, subscribeGraphQL } from '../support/graphql-client'
import { MOCK_HEADERS } from '../support/mock-upstream'
import { apiErrorOf, sdkClient } from '../support/sdk-client'
import { startApp, type TestApp } from '../support/start-app'
import { waitFor } from '../support/wait'

const SNAPSHOT_FIELDS = `requestId observedAt organizationId apiKeyFingerprint model httpStatus
  requestsLimit requestsRemaining requestsReset tokensLimit tokensRemaining tokensReset
  inputTokensLimit inputTokensRemaining inputTokensReset outputTokensLimit outputTokensRemaining outputTokensReset
  unifiedStatus unifiedReset unifiedRemaining unifiedRepresentativeClaim
  unified5hUtilization unified5hReset unified5hStatus unified7dUtilization unified7dReset unified7dStatus
  unifiedFallback unifiedFallbackPercentage unifiedOverageStatus unifiedOverageReason unifiedOverageDisabledReason
  unifiedOverageUtilization unifiedOverageReset retryAfterSeconds headers`

const REQUEST_RATE_LIMIT = graphql(`query RequestRateLimit($id: ID!) {
  request(id: $id) { id status rateLimit { ${SNAPSHOT_FIELDS} } }
}`)

const RECENT_REQUESTS = graphql('query RecentRateLimitedRequests { requests(first: 200) { nodes { id upstreamRequestId status } } }')

const STATUS_FIELDS = `organizationId apiKeyFingerprint observedAt status representativeClaim resetsAt resetsInSeconds
  fiveHour { name utilization status resetsAt resetsInSeconds startedAt }
  sevenDay { name utilization status resetsAt resetsInSeconds startedAt }
  requests { limit remaining resetsAt resetsInSeconds }
  tokens { limit remaining }
  snapshot { requestId }`

const RATE_LIMIT_STATUS = graphql(`query RateLimitStatus { rateLimitStatus { ${STATUS_FIELDS} } }`)

const RATE_LIMIT_ATTRIBUTION = graphql(`query RateLimitAttribution { rateLimitStatus {
  organizationId
  fiveHour { utilization attribution {
    windowStartedAt utilization attributedUtilization unattributedUtilization requestCount pendingRequests
    byModel { key utilization fraction requests weight }
    byApiKey { key utilization requests }
    topRequests { requestId model utilization weight }
    projection { ratePerHour sinceAt secondsToLimit projectedLimitAt reachesLimitBeforeReset }
  } }
} }`)

const ATTRIBUTION_BY_CONVERSATION = graphql(`query RateLimitAttributionByConversation { rateLimitStatus {
  organizationId
  fiveHour { attribution { attributedUtilization unattributedUtilization pendingRequests byConversation { key utilization fraction requests } topRequests { requestId conversationId } } }
  sevenDay { attribution { attributedUtilization unattributedUtilization pendingRequests byConversation { key utilization fraction requests } } }
} }`)

const CONVERSATION_OF_REQUEST = graphql('query ConversationOfRequest($id: ID!) { request(id: $id) { conversation { id } } }')

const RATE_LIMIT_UPDATED = graphql(`subscription RateLimitUpdated { rateLimitUpdated { ${STATUS_FIELDS} } }`)

let app: TestApp
const params = { model: DEFAULT_MODEL, max_tokens: 1024, messages: [{ role: 'user' as const, content: 'Hello' }] }

/** Request options making the mock answer as organization `org`, with `headers` set (string) or removed (null). */
const answeredAs = (org: string, headers: Record<string, string | null> = {}) => ({
  headers: { [MOCK_HEADERS.responseHeaders]: JSON.stringify({ 'anthropic-organization-id': org, ...headers }) },
})

/** Our id of the finished record of the upstream exchange `upstreamRequestId`. */
async function recordIdOf(upstreamRequestId: string): Promise<string> {
  const { id } = await waitFor(async () => {
    const data = await queryGraphQL(app.url, RECENT_REQUESTS)
    return data.requests.nodes.find((r) => r.upstreamRequestId === upstreamRequestId && r.status !== 'IN_FLIGHT')
  }, `a finished record for ${upstreamRequestId}`)
  return id
}

/** One SDK call answered as `org`; resolves with our record id once it is stored. */
async function call(client: Anthropic, org: string, headers: Record<string, string | null> = {}, model = DEFAULT_MODEL, session?: string): Promise<string> {
  const options = answeredAs(org, headers)
  const { response } = await client.messages.create({ ...params, model }, session === undefined ? options : { headers: { ...options.headers, 'x-claude-code-session-id': session } }).withResponse()
  return recordIdOf(response.headers.get('request-id')!)
}

const sentHeaders = () => app.upstream.requests.at(-1)!.response.headers

beforeAll(async () => {
  app = await startApp()
})
afterAll(async () => {
  await app?.close()
})

describe('rate-limit snapshots', () => {
  it('stores every rate-limit header of an SDK call as typed fields on the request', async () => {
    const org = randomUUID()
    const id = await call(sdkClient(app.url, 'sk-ant-snapshot'), org)
    const sent = sentHeaders()

    const { request } = await queryGraphQL(app.url, REQUEST_RATE_LIMIT, { id })
    const epoch = (name: string) => new Date(Number(sent[name]) * 1000).toISOString()
    const iso = (name: string) => new Date(sent[name]!).toISOString()
    expect(request!.rateLimit).toMatchObject({
      requestId: id,
      organizationId: org,
      model: DEFAULT_MODEL,
      httpStatus: 200,
      requestsLimit: 4000,
      requestsRemaining: 3999,
      requestsReset: iso('anthropic-ratelimit-requests-reset'),
      tokensLimit: 2400000,
      tokensRemaining: 2397000,
      inputTokensLimit: 2000000,
      inputTokensRemaining: 1998000,
      outputTokensLimit: 400000,
      outputTokensRemaining: 399000,
      outputTokensReset: iso('anthropic-ratelimit-output-tokens-reset'),
      unifiedStatus: 'allowed',
      unifiedReset: epoch('anthropic-ratelimit-unified-reset'),
      unifiedRepresentativeClaim: 'five_hour',
      unified5hStatus: 'allowed',
      unified5hReset: epoch('anthropic-ratelimit-unified-5h-reset'),
      unified5hUtilization: 0.42,
      unified7dStatus: 'allowed',
      unified7dReset: epoch('anthropic-ratelimit-unified-7d-reset'),
      unified7dUtilization: 0.13,
      unifiedFallbackPercentage: 0.5,
      unifiedOverageStatus: 'rejected',
      unifiedOverageDisabledReason: 'org_level_disabled',
      unifiedOverageReason: null,
      retryAfterSeconds: null,
    })
    const rateLimitHeaders = Object.fromEntries(Object.entries(sent).filter(([name]) => name.startsWith('anthropic-ratelimit-')))
    expect(request!.rateLimit!.headers).toEqual(rateLimitHeaders)
    expect(request!.rateLimit!.apiKeyFingerprint).toMatch(/^key:[0-9a-f]{8}$/)
  })

  it('keeps a 0 utilization as 0 and a missing or malformed header as null', async () => {
    const id = await call(sdkClient(app.url), randomUUID(), {
      'anthropic-ratelimit-unified-5h-utilization': '0',
      'anthropic-ratelimit-unified-7d-utilization': null,
      'anthropic-ratelimit-requests-limit': 'lots',
    })

    const { request } = await queryGraphQL(app.url, REQUEST_RATE_LIMIT, { id })
    expect(request!.rateLimit).toMatchObject({ unified5hUtilization: 0, unified7dUtilization: null, requestsLimit: null, requestsRemaining: 3999 })
  })

  it('records retry-after and 0 requests remaining of a rate-limited call', async () => {
    const org = randomUUID()
    const err = await apiErrorOf(sdkClient(app.url).messages.create(params, { headers: { [MOCK_HEADERS.scenario]: 'rate-limited', ...answeredAs(org).headers } }))
    expect(err.status).toBe(429)
    const id = await recordIdOf(err.requestID!)

    const { request } = await queryGraphQL(app.url, REQUEST_RATE_LIMIT, { id })
    expect(request!.rateLimit).toMatchObject({ httpStatus: 429, retryAfterSeconds: 7, requestsRemaining: 0, organizationId: org })
  })

  it('answers null for a response without rate-limit headers', async () => {
    const removeAll = Object.fromEntries(Object.keys(sentHeaders()).filter((name) => name.startsWith('anthropic-ratelimit-')).map((name) => [name, null]))
    const id = await call(sdkClient(app.url), randomUUID(), removeAll)

    const { request } = await queryGraphQL(app.url, REQUEST_RATE_LIMIT, { id })
    expect(request!.rateLimit).toBeNull()
  })
})

describe('rate-limit status', () => {
  it('gives the latest snapshot of each organization and key, with time to reset', async () => {
    const org = randomUUID()
    const first = sdkClient(app.url, 'sk-ant-first-key')
    const second = sdkClient(app.url, 'sk-ant-second-key')
    await call(first, org, { 'anthropic-ratelimit-unified-5h-utilization': '0.1' })
    await call(second, org, { 'anthropic-ratelimit-unified-5h-utilization': '0.2' })
    const latest = await call(first, org, { 'anthropic-ratelimit-unified-5h-utilization': '0.3' })
    const fiveHourReset = new Date(Number(sentHeaders()['anthropic-ratelimit-unified-5h-reset']) * 1000)

    const { rateLimitStatus } = await queryGraphQL(app.url, RATE_LIMIT_STATUS)
    const ours = rateLimitStatus.filter((status) => status.organizationId === org)
    expect(ours.map((status) => status.fiveHour?.utilization)).toEqual([0.3, 0.2])
    const [status] = ours
    expect(status!.snapshot.requestId).toBe(latest)
    expect(status!.status).toBe('allowed')
    expect(status!.fiveHour).toMatchObject({ name: '5h', status: 'allowed', resetsAt: fiveHourReset.toISOString(), startedAt: new Date(fiveHourReset.getTime() - 5 * 3600_000).toISOString() })
    // The window resets hours from now: time to reset is positive and at most 5 hours.
    expect(status!.fiveHour!.resetsInSeconds).toBeGreaterThan(0)
    expect(status!.fiveHour!.resetsInSeconds).toBeLessThanOrEqual(5 * 3600)
    expect(status!.sevenDay).toMatchObject({ name: '7d', utilization: 0.13 })
    expect(status!.requests).toMatchObject({ limit: 4000, remaining: 3999 })
  })

  it('pushes the new status to a rateLimitUpdated subscriber when response headers arrive', async () => {
    const org = randomUUID()
    const updates = subscribeGraphQL(app.url, RATE_LIMIT_UPDATED)
    try {
      // The subscription is ready once a first update reaches it; earlier calls may be missed.
      await waitFor(async () => {
        await call(sdkClient(app.url), org, { 'anthropic-ratelimit-unified-5h-utilization': '0.05' })
        return updates.results.some((result) => result.rateLimitUpdated.organizationId === org)
      }, 'the subscription to receive a first update')
      const id = await call(sdkClient(app.url), org, { 'anthropic-ratelimit-unified-5h-utilization': '0.55', 'anthropic-ratelimit-unified-status': 'allowed_warning' })

      const pushed = await waitFor(() => updates.results.find((result) => result.rateLimitUpdated.snapshot.requestId === id), 'the update of the second call')
      expect(pushed.rateLimitUpdated).toMatchObject({ organizationId: org, status: 'allowed_warning', fiveHour: { utilization: 0.55 } })
    } finally {
      await updates.close()
    }
  })
})

describe('quota attribution', () => {
  it('gives each rise of the 5-hour utilization to the requests completed between the two snapshots', async () => {
    const org = randomUUID()
    const client = sdkClient(app.url, 'sk-ant-attribution')
    // Snapshot 1 (0.10): nothing of this organization completed before it, so its rise is unattributed.
    const first = await call(client, org, { 'anthropic-ratelimit-unified-5h-utilization': '0.10' }, 'claude-opus-4-7')
    // Snapshot 2 (0.30): the first request completed between 1 and 2, and gets the rise of 0.20.
    await call(client, org, { 'anthropic-ratelimit-unified-5h-utilization': '0.30' })
    // Snapshot 3 (0.30): no rise, so the second request gets nothing; the third completes after it (pending).
    await call(client, org, { 'anthropic-ratelimit-unified-5h-utilization': '0.30' })
    const windowStart = new Date((Number(sentHeaders()['anthropic-ratelimit-unified-5h-reset']) - 5 * 3600) * 1000)

    const { rateLimitStatus } = await queryGraphQL(app.url, RATE_LIMIT_ATTRIBUTION)
    const attribution = rateLimitStatus.find((status) => status.organizationId === org)!.fiveHour!.attribution!
    expect(attribution.windowStartedAt).toBe(windowStart.toISOString())
    expect(attribution.utilization).toBe(0.3)
    expect(attribution.attributedUtilization).toBeCloseTo(0.2, 12)
    expect(attribution.unattributedUtilization).toBeCloseTo(0.1, 12)
    expect(attribution.requestCount).toBe(1)
    expect(attribution.pendingRequests).toBe(1)
    // The text answer's usage (see anthropic-fixtures): 12 input + 1.25 × 1,536 five-minute writes
    // + 2 × 512 one-hour writes + 0.1 × 4,096 reads + 5 × 42 output = 3,575.6 input-equivalent tokens.
    expect(attribution.topRequests).toEqual([{ requestId: first, model: 'claude-opus-4-7', utilization: expect.closeTo(0.2, 12), weight: 3575.6 }])
    expect(attribution.byModel).toEqual([{ key: 'claude-opus-4-7', utilization: expect.closeTo(0.2, 12), fraction: 1, requests: 1, weight: 3575.6 }])
    expect(attribution.byApiKey.map((group) => group.requests)).toEqual([1])
    // 0.30 gained since the window start: the projection runs from there and ends before the reset.
    expect(attribution.projection).toMatchObject({ sinceAt: windowStart.toISOString(), reachesLimitBeforeReset: true })
  })

  it('gives the 5-hour and 7-day rises to the conversations whose requests completed between the snapshots', async () => {
    const org = randomUUID()
    const client = sdkClient(app.url, 'sk-ant-by-conversation')
    const [sessionA, sessionB] = [randomUUID(), randomUUID()]
    const used = (fiveHour: string, sevenDay: string) => ({ 'anthropic-ratelimit-unified-5h-utilization': fiveHour, 'anthropic-ratelimit-unified-7d-utilization': sevenDay })
    // 1 (A): 5h 0.10, 7d 0.02, with nothing before it: unattributed.
    const a1 = await call(client, org, used('0.10', '0.02'), DEFAULT_MODEL, sessionA)
    // 2 (B): 5h 0.30, 7d 0.05: the rises (0.20, 0.03) go to A's first request, the only one completed in between.
    const b1 = await call(client, org, used('0.30', '0.05'), DEFAULT_MODEL, sessionB)
    // 3 (A): 5h 0.40, 7d 0.06: the rises (0.10, 0.01) go to B's request.
    await call(client, org, used('0.40', '0.06'), DEFAULT_MODEL, sessionA)
    // 4 (A): no rise, so A's second request gets nothing; this one completes after the last snapshot (pending).
    await call(client, org, used('0.40', '0.06'), DEFAULT_MODEL, sessionA)
    const conversationOf = (id: string) =>
      waitFor(async () => (await queryGraphQL(app.url, CONVERSATION_OF_REQUEST, { id })).request?.conversation?.id, `the conversation of ${id}`)
    const [conversationA, conversationB] = [await conversationOf(a1), await conversationOf(b1)]
    expect(conversationA).not.toBe(conversationB)

    const { rateLimitStatus } = await queryGraphQL(app.url, ATTRIBUTION_BY_CONVERSATION)
    const { fiveHour, sevenDay } = rateLimitStatus.find((status) => status.organizationId === org)!
    expect(fiveHour!.attribution).toMatchObject({ attributedUtilization: expect.closeTo(0.3, 12), unattributedUtilization: expect.closeTo(0.1, 12), pendingRequests: 1 })
    expect(fiveHour!.attribution!.byConversation).toEqual([
      { key: conversationA, utilization: expect.closeTo(0.2, 12), fraction: expect.closeTo(2 / 3, 12), requests: 1 },
      { key: conversationB, utilization: expect.closeTo(0.1, 12), fraction: expect.closeTo(1 / 3, 12), requests: 1 },
    ])
    expect(fiveHour!.attribution!.topRequests).toEqual([
      { requestId: a1, conversationId: conversationA },
      { requestId: b1, conversationId: conversationB },
    ])
    expect(sevenDay!.attribution).toMatchObject({ attributedUtilization: expect.closeTo(0.04, 12), unattributedUtilization: expect.closeTo(0.02, 12) })
    expect(sevenDay!.attribution!.byConversation).toEqual([
      { key: conversationA, utilization: expect.closeTo(0.03, 12), fraction: expect.closeTo(0.75, 12), requests: 1 },
      { key: conversationB, utilization: expect.closeTo(0.01, 12), fraction: expect.closeTo(0.25, 12), requests: 1 },
    ])
  })
})
