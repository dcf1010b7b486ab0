import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { conversationTurnRecord, inFlight } from '../support/record-fixtures'
import { chunksOf } from '../capture/records'
import { startGraphQLHarness, type GraphQLHarness } from '../support/graphql-harness'
import { storeRecords } from '../support/stored-records'
import { gql, gqlData } from '../header-rules/rules-api'

let harness: GraphQLHarness

beforeAll(async () => {
  harness = await startGraphQLHarness()
})
afterAll(async () => {
  await harness?.close()
})

const DELETE = `mutation ($filter: RequestFilter!) { deleteRequests(filter: $filter) }`
const count = async (sql: string, params: unknown[] = []) => Number(((await harness.dataSource.query(sql, params)) as [{ n: string }])[0].n)

describe('deleteRequests', () => {
  it('deletes the finished requests matching the filter with their stream chunks, keeps body parts other requests share, and returns the count', async () => {
    // Three turns of one conversation: each later turn's body repeats the earlier messages, stored once in contents.
    const haiku = [1, 2].map((turn) => conversationTurnRecord('delete-me', turn, { model: 'claude-haiku-4-5' }))
    const kept = conversationTurnRecord('delete-me', 3, { model: 'claude-sonnet-4-5' })
    const running = inFlight(conversationTurnRecord('delete-me', 4, { model: 'claude-haiku-4-5' }))
    await storeRecords(harness.dataSource, [...haiku, kept, running], [...chunksOf(haiku[0]!.id, 3), ...chunksOf(kept.id, 2)])

    const { deleteRequests } = await gqlData<{ deleteRequests: number }>(harness.url, DELETE, { filter: { models: ['claude-haiku-4-5'] } })

    expect(deleteRequests).toBe(2)
    const left = await gqlData<{ requests: { nodes: Array<{ id: string }> } }>(harness.url, `query { requests(first: 50) { nodes { id } } }`)
    expect(left.requests.nodes.map((node) => node.id).sort()).toEqual([kept.id, running.id].sort())
    expect(await count(`SELECT count(*) AS n FROM stream_chunks WHERE request_id = ANY($1::uuid[])`, [haiku.map((record) => record.id)])).toBe(0)
    expect(await count(`SELECT count(*) AS n FROM stream_chunks WHERE request_id = $1`, [kept.id])).toBe(1)
    // The kept turn reads back whole: the parts it shares with the deleted ones stayed.
    const body = await gqlData<{ request: { requestBodyText: string } }>(harness.url, `query ($id: ID!) { request(id: $id) { requestBodyText } }`, { id: kept.id })
    expect(body.request.requestBodyText).toBe(kept.requestBody)
  })

  it('deletes everything finished for an empty filter, and needs a filter', async () => {
    await storeRecords(harness.dataSource, [conversationTurnRecord('all', 1), conversationTurnRecord('all', 2)])
    const finished = await count(`SELECT count(*) AS n FROM requests WHERE status <> 'IN_FLIGHT'`)
    expect((await gqlData<{ deleteRequests: number }>(harness.url, DELETE, { filter: {} })).deleteRequests).toBe(finished)
    expect(await count(`SELECT count(*) AS n FROM requests WHERE status <> 'IN_FLIGHT'`)).toBe(0)
    const { errors } = await gql(harness.url, `mutation { deleteRequests }`)
    expect(errors?.[0]?.message).toContain('"filter" of type "RequestFilter!" is required')
  })
})
