import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { graphql } from '../../client/src/graphql/graphql'
import { MOCK_HEADERS } from '../support/mock-upstream'
import { queryGraphQL, subscribeGraphQL, type Subscription } from '../support/graphql-client'
import { hasRedisServer, startRedisServer, type RedisServer } from '../support/redis-server'
import { sdkClient } from '../support/sdk-client'
import { startApp, type TestApp } from '../support/start-app'
import { createTestDatabase } from '../support/test-database'
import { waitFor } from '../support/wait'

// Runs in the PostgreSQL project only (see vitest.config.mts): several instances share one PostgreSQL.
const runs = hasRedisServer()
if (!runs) console.warn('\n*** Several-instances tests SKIPPED: no redis-server binary (Debian: apt-get install redis-server). ***\n')

const LIVE_CHUNKS = graphql(`subscription EveryChunk { liveChunks { requestId seq data } }`)
const LIVE_LINK = graphql(`query LiveLink { health { live { transport connected interruptions } } }`)
const CREATE_RULE = graphql(`mutation AddTeamHeader { createHeaderRule(rule: { scope: REQUEST, header: "x-team", action: SET, value: "platform" }) { id } }`)
type LiveChunk = { liveChunks: { requestId: string; seq: number; data: string } }

let redis: RedisServer
let database: { url: string; drop(): Promise<void> }
let a: TestApp
let b: TestApp
let onA: Subscription<LiveChunk>

beforeAll(async () => {
  if (!runs) return
  redis = await startRedisServer()
  database = await createTestDatabase()
  // One after the other: the first runs the migrations.
  a = await startApp({ databaseUrl: database.url, env: { REDIS_URL: redis.url } })
  b = await startApp({ databaseUrl: database.url, env: { REDIS_URL: redis.url } })
  onA = subscribeGraphQL(a.url, LIVE_CHUNKS)
  await waitFor(() => a.app.bus.subscriberCount === 1, 'the subscription on A to be open')
})
afterAll(async () => {
  if (!runs) return
  await onA?.close()
  await Promise.all([a?.close(), b?.close()])
  await redis?.stop()
  await database?.drop()
})

/** Streams one answer of `events` text deltas through `app`; returns the SSE data the mock upstream sent, in order. */
async function streamThrough(app: TestApp, events: number): Promise<string[]> {
  const before = app.upstream.requests.length
  await sdkClient(app.url).messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user', content: 'stream' }] }, { headers: { [MOCK_HEADERS.events]: String(events) } }).finalMessage()
  const sent = app.upstream.requests[before]!
  return app.upstream.sentBody(sent).toString().split('\n\n').filter((frame) => frame !== '').map((frame) => /^data: (.*)$/m.exec(frame)![1]!)
}

describe.skipIf(!runs)('several instances on one PostgreSQL and one Redis', () => {
  it('gives a subscriber on one instance, in order, every chunk of a stream another instance serves', async () => {
    const sent = await streamThrough(b, 20)
    const results = await onA.waitFor(sent.length)
    expect(results.map((r) => r.liveChunks.seq)).toEqual(sent.map((_, seq) => seq))
    expect(results.map((r) => r.liveChunks.data)).toEqual(sent)
    expect(new Set(results.map((r) => r.liveChunks.requestId)).size).toBe(1)
  })

  it('forwards and records everything while Redis is down, and shares live events again once it is back', async () => {
    await redis.stop()
    await waitFor(() => !a.app.bus.link.connected && !b.app.bus.link.connected, 'both instances to notice Redis is gone')
    expect((await queryGraphQL(a.url, LIVE_LINK)).health.live).toEqual({ transport: 'redis', connected: false, interruptions: 1 })

    const chunksBefore = onA.results.length
    const [sentOnA, sentOnB] = [a.upstream.requests.length, b.upstream.requests.length]
    const client = (app: TestApp) => sdkClient(app.url)
    await client(a).messages.create({ model: 'claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user', content: 'on A' }] })
    await client(b).messages.create({ model: 'claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user', content: 'on B' }] })
    await streamThrough(b, 5)
    const outageIds = [...a.upstream.requests.slice(sentOnA), ...b.upstream.requests.slice(sentOnB)].map((request) => request.requestId)
    expect(outageIds).toHaveLength(3)
    const stored = async () => (await a.app.dataSource.query(`SELECT count(*)::int AS n FROM requests WHERE upstream_request_id = ANY($1) AND status = 'COMPLETED'`, [outageIds])) as [{ n: number }]
    await waitFor(async () => (await stored())[0].n === 3, 'the three requests made during the outage to be stored')
    // B's stream reached nobody on A: Redis was down.
    expect(onA.results.length).toBe(chunksBefore)

    await redis.start()
    await waitFor(() => a.app.bus.link.connected && b.app.bus.link.connected, 'both instances back on Redis')
    const sent = await streamThrough(b, 3)
    const results = await onA.waitFor(chunksBefore + sent.length)
    expect(results.slice(chunksBefore).map((r) => r.liveChunks.data)).toEqual(sent)
  })

  it('applies a header rule created on one instance to the next request another instance serves', async () => {
    await queryGraphQL(a.url, CREATE_RULE)
    // Redis carries the change to B, which reloads its rules from the database.
    await waitFor(() => !b.app.headerRules.current().isEmpty, 'B to load the rule created on A')
    const before = b.upstream.requests.length
    await sdkClient(b.url).messages.create({ model: 'claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user', content: 'ruled' }] })
    expect(b.upstream.requests[before]!.headers['x-team']).toBe('platform')
  })
})
