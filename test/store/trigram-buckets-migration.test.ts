import { describe, expect, it } from 'vitest'
import { RequestsService } from '../../server/requests/requests.service'
import { conversationTurnRecord } from '../support/record-fixtures'
import { textBuckets } from '../../server/store/contents/text-buckets'
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

    expect(await indexesOfContents()).toContain('contents_text_buckets_idx')
    expect(await indexesOfContents()).not.toContain('contents_text_trgm_idx')
    const service = new RequestsService(store.dataSource)
    const found = async (search: string) => (await service.list({ search }, 10)).nodes.map((node) => node.id).sort()
    expect(await found('BUCKETED PARTS message 2:')).toEqual(records.map((record) => record.id).sort())
    expect(await found('ucketed parts message 39:')).toEqual([records[1]!.id])
  })
})

describe('the migration that has capture compute the buckets', () => {
  it('gives every part stored before it the buckets capture would, so searches find them, and gives the expression index back when undone', async () => {
    const records = [5, 41].map((turn) => conversationTurnRecord('parts bucketed later', turn))
    await storeRecords(store.dataSource, records)

    await undoMigrationsThrough(store.dataSource, 'ComputeBodySearchBucketsInCapture1798400000000')
    const columns = async () => ((await store.dataSource.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'contents'`)) as Array<{ column_name: string }>).map((row) => row.column_name)
    expect(await columns()).not.toContain('text_buckets')
    expect(await indexesOfContents()).toContain('contents_text_buckets_idx')
    await store.dataSource.runMigrations({ transaction: 'each' })

    expect(await columns()).toContain('text_buckets')
    const rows = (await store.dataSource.query(`SELECT text, text_buckets FROM contents`)) as Array<{ text: string; text_buckets: number[] }>
    expect(rows.length).toBeGreaterThan(40)
    for (const row of rows) expect(row.text_buckets).toEqual(textBuckets(row.text))
    const service = new RequestsService(store.dataSource)
    const found = async (search: string) => (await service.list({ search }, 10)).nodes.map((node) => node.id).sort()
    expect(await found('PARTS BUCKETED LATER message 4:')).toEqual(records.map((record) => record.id).sort())
    expect(await found('ts bucketed later message 40:')).toEqual([records[1]!.id])
  })
})
