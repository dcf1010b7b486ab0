import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { graphql, type ResultOf } from '../../client/src/graphql/graphql'
import { StorageService } from '../../server/storage/storage.service'
import { queryGraphQL } from '../support/graphql-client'
import { startGraphQLHarness, type GraphQLHarness } from '../support/graphql-harness'
import { makeRecord } from '../support/record-fixtures'
import { storeRecords } from '../support/stored-records'

let harness: GraphQLHarness
beforeAll(async () => {
  harness = await startGraphQLHarness()
})
afterAll(() => harness.close())

const STORAGE = graphql(`query Storage {
  storage {
    databaseBytes
    tables { name totalBytes indexBytes rows rowsExact }
  }
}`)
type Storage = ResultOf<typeof STORAGE>['storage']

const tableOf = (storage: Storage, name: string) => {
  const table = storage.tables.find((t) => t.name === name)
  if (table === undefined) throw new Error(`no table ${name} among ${storage.tables.map((t) => t.name).join(', ')}`)
  return table
}
const sumOfTables = (storage: Storage) => storage.tables.reduce((sum, t) => sum + t.totalBytes, 0)

/** A request body of `bytes` random characters: compression cannot shrink what the test expects to grow. */
const incompressibleBody = (bytes: number) => JSON.stringify({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: randomBytes(bytes).toString('base64') }] })

describe('storage query', () => {
  it("lists the public schema's tables with their sizes, and only those", async () => {
    const storage = (await queryGraphQL(harness.url, STORAGE)).storage
    const names = storage.tables.map((t) => t.name)
    expect(names).toEqual([...names].sort())
    expect(names).toContain('requests')
    expect(names).toContain('stream_chunks')
    expect(names.some((name) => name.startsWith('pg_'))).toBe(false)
    expect(storage.databaseBytes).toBeGreaterThanOrEqual(sumOfTables(storage))
    for (const table of storage.tables) {
      expect(table.indexBytes).toBeGreaterThan(0) // every table has its primary key's index
      expect(table.totalBytes).toBeGreaterThanOrEqual(table.indexBytes)
    }
  })

  it('reports growing database and table sizes, and the exact row count, as records are stored', async () => {
    const before = (await queryGraphQL(harness.url, STORAGE)).storage
    const records = Array.from({ length: 20 }, () => makeRecord({ requestBody: incompressibleBody(32 * 1024) }))
    await storeRecords(harness.dataSource, records)
    const after = (await queryGraphQL(harness.url, STORAGE)).storage

    const storedBytes = 20 * 32 * 1024
    expect(after.databaseBytes - before.databaseBytes).toBeGreaterThanOrEqual(storedBytes)
    // The messages are stored once each in `contents`, the rest of each body in `requests`.
    expect(sumOfTables(after) - sumOfTables(before)).toBeGreaterThanOrEqual(storedBytes)
    expect(tableOf(after, 'contents').rows - tableOf(before, 'contents').rows).toBe(20)
    // Body search indexes every stored part's text.
    expect(tableOf(after, 'contents').indexBytes).toBeGreaterThan(tableOf(before, 'contents').indexBytes)
    expect(tableOf(after, 'requests').rows - tableOf(before, 'requests').rows).toBe(20)
    expect(tableOf(after, 'requests').rowsExact).toBe(true)
  })

  it("estimates the rows of a table whose heap is above the exact-count limit from the planner's statistics", async () => {
    await storeRecords(harness.dataSource, Array.from({ length: 10 }, () => makeRecord()))
    await harness.dataSource.query('ANALYZE requests')
    const estimated = tableOf(await new StorageService(harness.dataSource, { exactCountMaxHeapBytes: 0 }).read(), 'requests')
    const counted = tableOf(await new StorageService(harness.dataSource).read(), 'requests')
    expect(estimated.rowsExact).toBe(false)
    expect(counted.rowsExact).toBe(true)
    // ANALYZE reads every row of a table this small, so the estimate is the count.
    expect(estimated.rows).toBe(counted.rows)
  })
})
