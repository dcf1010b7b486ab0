import { print } from 'graphql'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { graphql } from '../../client/src/graphql/graphql'
import type { RequestRecord } from '../../server/records/request-record'
import { queryGraphQL, subscribeGraphQL } from '../support/graphql-client'
import { startGraphQLHarness, type GraphQLHarness } from '../support/graphql-harness'
import { conversationTurnRecord, makeChunk } from '../support/record-fixtures'
import { startApp, type TestApp } from '../support/start-app'
import { backdateRecords, storeRecords } from '../support/stored-records'

const PRUNE = graphql(`mutation Prune($olderThanDays: Int) { pruneRecords(olderThanDays: $olderThanDays) { requestsDeleted contentsDeleted cutoff } }`)
const RETENTION = graphql(`query Retention { retention { retentionDays pruning lastPrune { olderThanDays finishedAt deleted { requestsDeleted contentsDeleted } } lastFailure { message } } }`)
const REQUEST = graphql(`query Stored($id: ID!) { request(id: $id) { id requestBodyText chunks { seq } } }`)

const TOKEN = 'prune-token'

interface GraphQLBody {
  data?: unknown
  errors?: Array<{ message: string; extensions?: { code?: string; argument?: string } }>
}

async function postPrune(url: string, variables: { olderThanDays?: number | null }, headers: Record<string, string> = {}): Promise<{ status: number; json: GraphQLBody }> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: print(PRUNE), variables }) })
  return { status: res.status, json: (await res.json()) as GraphQLBody }
}

/** An old record (40 days) with two chunks, and a recent one of another conversation sharing its system prompt and tools. */
async function seed(harness: { dataSource: GraphQLHarness['dataSource'] }, name: string): Promise<{ old: RequestRecord; recent: RequestRecord }> {
  const old = conversationTurnRecord(`${name} old`, 1)
  const recent = conversationTurnRecord(`${name} recent`, 1)
  await storeRecords(harness.dataSource, [old], [makeChunk(old.id, 0), makeChunk(old.id, 1)])
  await backdateRecords(harness.dataSource, [old.id], 40)
  await storeRecords(harness.dataSource, [recent], [makeChunk(recent.id, 0)])
  return { old, recent }
}

async function stored(url: string, id: string, token?: string) {
  return (await queryGraphQL(url, REQUEST, { id }, token)).request
}

let harness: GraphQLHarness
beforeAll(async () => {
  harness = await startGraphQLHarness()
})
afterAll(() => harness?.close())

describe('the pruneRecords mutation', () => {
  it('deletes the records older than olderThanDays with their chunks and the parts only they used, and keeps recent ones whole', async () => {
    const { old, recent } = await seed(harness, 'mutation')

    const { pruneRecords } = await queryGraphQL(harness.url, PRUNE, { olderThanDays: 30 })

    expect(pruneRecords).toEqual({ requestsDeleted: 1, contentsDeleted: 2, cutoff: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) })
    expect(Date.now() - Date.parse(pruneRecords.cutoff)).toBeGreaterThanOrEqual(30 * 86_400_000 - 60_000)
    expect(await stored(harness.url, old.id)).toBeNull()
    expect(await stored(harness.url, recent.id)).toEqual({ id: recent.id, requestBodyText: recent.requestBody, chunks: [{ seq: 0 }] })
  })

  it('prunes by RETENTION_DAYS when olderThanDays is not given', async () => {
    const url = await harness.serve({ retentionDays: 50 })
    const { old } = await seed(harness, 'default')

    expect((await queryGraphQL(url, PRUNE, {})).pruneRecords.requestsDeleted).toBe(0)
    expect((await queryGraphQL(url, PRUNE, { olderThanDays: null })).pruneRecords.requestsDeleted).toBe(0)
    expect(await stored(url, old.id)).not.toBeNull()
    expect((await queryGraphQL(url, PRUNE, { olderThanDays: 39 })).pruneRecords.requestsDeleted).toBe(1)
  })

  it('refuses to guess when RETENTION_DAYS is unset and olderThanDays is not given', async () => {
    const { status, json } = await postPrune(harness.url, {})

    expect(status).toBe(200)
    expect(json.errors).toEqual([expect.objectContaining({ message: 'olderThanDays is required: RETENTION_DAYS is not set on this server', extensions: { code: 'RETENTION_PERIOD_REQUIRED', argument: 'olderThanDays' } })])
  })

  it.each([0, -5, 36_501])('refuses olderThanDays %i, naming the range', async (olderThanDays) => {
    const { old } = await seed(harness, `range ${olderThanDays}`)

    const { json } = await postPrune(harness.url, { olderThanDays })

    expect(json.errors).toEqual([expect.objectContaining({ message: `olderThanDays must be a whole number of days from 1 to 36500 (got ${olderThanDays})`, extensions: { code: 'RETENTION_PERIOD_OUT_OF_RANGE', argument: 'olderThanDays' } })])
    expect(await stored(harness.url, old.id)).not.toBeNull()
  })

  it('cannot be sent as a GET, so no link or image can prune', async () => {
    const { old } = await seed(harness, 'get')

    const res = await fetch(`${harness.url}/graphql?query=${encodeURIComponent(print(PRUNE))}&variables=${encodeURIComponent('{"olderThanDays":1}')}`)

    expect(res.status).toBe(405)
    expect(await stored(harness.url, old.id)).not.toBeNull()
  })
})

describe('the pruneRecords mutation behind a dashboard token', () => {
  let url: string
  beforeAll(async () => {
    url = await harness.serve({ dashboardToken: TOKEN })
  })

  it('is refused without the token, over HTTP and over graphql-ws, and deletes nothing', async () => {
    const { old } = await seed(harness, 'unauthenticated')

    const http = await postPrune(url, { olderThanDays: 1 }, { authorization: 'Bearer wrong' })
    expect(http.status).toBe(401)
    expect(http.json.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED')
    const socket = subscribeGraphQL(url, PRUNE, { olderThanDays: 1 })
    try {
      await expect(socket.waitFor(1)).rejects.toThrow('the socket closed with 4403')
    } finally {
      await socket.close()
    }
    expect(await stored(url, old.id, TOKEN)).not.toBeNull()
  })

  it('prunes for a caller bearing the token', async () => {
    const { old } = await seed(harness, 'authenticated')

    const { json } = await postPrune(url, { olderThanDays: 1 }, { authorization: `Bearer ${TOKEN}` })

    expect(json.errors).toBeUndefined()
    // Old records earlier tests kept (refused prunes) go too.
    expect((json.data as { pruneRecords: { requestsDeleted: number } }).pruneRecords.requestsDeleted).toBeGreaterThanOrEqual(1)
    expect(await stored(url, old.id, TOKEN)).toBeNull()
  })
})

describe('retention in the running app', () => {
  let app: TestApp
  beforeAll(async () => {
    app = await startApp({ env: { RETENTION_DAYS: '30' } })
  })
  afterAll(() => app?.close())

  it('prunes by RETENTION_DAYS through pruneRecords, says so in the retention query and /metrics, and stops with the app', async () => {
    const { old, recent } = await seed(app.app, 'app')
    expect((await queryGraphQL(app.url, RETENTION, {})).retention).toEqual({ retentionDays: 30, pruning: false, lastPrune: null, lastFailure: null })

    expect((await queryGraphQL(app.url, PRUNE, {})).pruneRecords).toMatchObject({ requestsDeleted: 1, contentsDeleted: 2 })
    const { retention } = await queryGraphQL(app.url, RETENTION, {})
    expect(retention).toEqual({ retentionDays: 30, pruning: false, lastPrune: { olderThanDays: 30, finishedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/), deleted: { requestsDeleted: 1, contentsDeleted: 2 } }, lastFailure: null })
    expect(await stored(app.url, old.id)).toBeNull()
    expect((await stored(app.url, recent.id))?.requestBodyText).toBe(recent.requestBody)
    const metrics = await (await fetch(`${app.url}/metrics`)).text()
    expect(metrics).toMatch(/^claudescope_retention_requests_deleted_total 1$/m)
    expect(metrics).toMatch(/^claudescope_retention_contents_deleted_total 2$/m)

    await app.app.close()
    await expect(app.app.retention.prune()).rejects.toThrow('Retention has stopped')
  })
})
