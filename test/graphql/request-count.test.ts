import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { graphql } from '../../client/src/graphql/graphql'
import { RequestsService } from '../../server/requests/requests.service'
import { queryGraphQL } from '../support/graphql-client'
import { startGraphQLHarness, type GraphQLHarness } from '../support/graphql-harness'
import { makeRecord } from '../support/record-fixtures'
import { storeRecords } from '../support/stored-records'

let harness: GraphQLHarness
beforeAll(async () => {
  harness = await startGraphQLHarness()
})
afterAll(() => harness.close())

/** `count` stored requests under a key of their own; returns the filter that selects exactly them. */
async function storeUnderOwnKey(count: number) {
  const apiKeyFingerprint = `key:${randomUUID().slice(0, 8)}`
  await storeRecords(harness.dataSource, Array.from({ length: count }, () => makeRecord({ apiKeyFingerprint })))
  return { apiKeyFingerprint }
}

describe('counting requests within a bound', () => {
  it('counts exactly up to the limit, the limit itself included', async () => {
    const requests = new RequestsService(harness.dataSource, { exactCountLimit: 5 })

    expect(await requests.countBounded(await storeUnderOwnKey(3))).toEqual({ count: 3, isEstimate: false })
    expect(await requests.countBounded(await storeUnderOwnKey(5))).toEqual({ count: 5, isEstimate: false })
    expect(await requests.countBounded(await storeUnderOwnKey(0))).toEqual({ count: 0, isEstimate: false })
  })

  it('estimates past the limit, never below it, and counts them all when asked for exactly', async () => {
    const requests = new RequestsService(harness.dataSource, { exactCountLimit: 5 })
    const filter = await storeUnderOwnKey(12)

    const estimated = await requests.countBounded(filter)
    expect(estimated.isEstimate).toBe(true)
    expect(estimated.count).toBeGreaterThanOrEqual(6)
    expect(await requests.countBounded(filter, true)).toEqual({ count: 12, isEstimate: false })
  })

  it('answers totalCount with whether it is an estimate, and an exact count on demand, through GraphQL', async () => {
    const filter = await storeUnderOwnKey(4)

    const data = await queryGraphQL(
      harness.url,
      graphql(`query CountedPage($filter: RequestFilter) { requests(first: 1, filter: $filter) { totalCount totalCountIsEstimate exact: totalCount(exact: true) } }`),
      { filter },
    )

    expect(data.requests).toEqual({ totalCount: 4, totalCountIsEstimate: false, exact: 4 })
  })
})
