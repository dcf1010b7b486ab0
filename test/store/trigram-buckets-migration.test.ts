import { describe, expect, it } from 'vitest'
import { RequestsService } from '../../server/requests/requests.service'
import { conversationTurnRecord } from '../support/record-fixtures'
import { storeRecords } from '../support/stored-records'
import { undoMigrationsThrough, useMigratedStore } from '../support/test-database'

const store = useMigratedStore()

const indexesOfContents = async () =>
  ((await store.dataSource.query(`SELECT indexname AS name FROM pg_indexes WHERE tablename = 'contents' ORDER BY 1`)) as Array<{ name: string }>).map((row) => row.name)

describe('the migration to trigram buckets for body search', () => {
  it('indexes the parts stored before it, and gives the trigram index back when undone', async () => {
    const records = [3, 40].map((turn) => conversationTurnRecord('bucketed parts', turn))
    await storeRecords(store.dataSource, records)

    await undoMigrationsThrough(store.dataSource, 'IndexBodyPartsByTrigramBuckets1798100000000')
    expect(await indexesOfContents()).toContain('contents_text_trgm_idx')
    expect(await indexesOfContents()).not.toContain('contents_text_buckets_idx')
    await store.dataSource.runMigrations({ transaction: 'each' })

    // The migrations after it replace the buckets with search keys.
    expect(await indexesOfContents()).toContain('contents_search_keys_idx')
    expect(await indexesOfContents()).not.toContain('contents_text_trgm_idx')
    const service = new RequestsService(store.dataSource)
    const found = async (search: string) => (await service.list({ search }, 10)).nodes.map((node) => node.id).sort()
    expect(await found('BUCKETED PARTS message 2:')).toEqual(records.map((record) => record.id).sort())
    expect(await found('ucketed parts message 39:')).toEqual([records[1]!.id])
  })
})
