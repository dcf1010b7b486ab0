import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { RequestRecord } from '../../server/records/request-record'
import { RequestsService } from '../../server/requests/requests.service'
import { contentsUpsert } from '../../server/store/batch-statements'
import { contentIdOf } from '../../server/store/contents/content-id'
import { searchKeysOfPart, searchKeysOfSearch } from '../../server/store/contents/search-keys'
import { makeRecord } from '../support/record-fixtures'
import { storeRecords } from '../support/stored-records'
import { undoMigrationsThrough, useMigratedStore } from '../support/test-database'

const store = useMigratedStore()

/** A request whose one message holds `content` (an array of content blocks), started now. */
function recordWithContent(content: unknown[]): RequestRecord {
  const requestBody = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content }] })
  return makeRecord({ startedAt: new Date(), completedAt: new Date(), requestBody, requestBodyBytes: Buffer.byteLength(requestBody) })
}

/** About 180 KB of base64, as a screenshot's `data` holds it. */
const screenshotData = () => randomBytes(135_000).toString('base64')

const screenshotBlocks = (data: string, question: string) => [
  { type: 'image', source: { type: 'base64', media_type: 'image/png', data } },
  { type: 'text', text: question },
]

/** The id of the one stored part holding `marker`. */
async function partHolding(marker: string): Promise<string> {
  const rows = (await store.dataSource.query(`SELECT id FROM contents WHERE strpos(text, $1) > 0`, [marker])) as Array<{ id: string }>
  expect(rows).toHaveLength(1)
  return rows[0]!.id
}

/** How many search keys the stored part holding `marker` has. */
async function keysOfPartHolding(marker: string): Promise<number> {
  const [row] = (await store.dataSource.query(`SELECT cardinality(search_keys) AS keys FROM contents WHERE id = $1`, [await partHolding(marker)])) as Array<{ keys: number }>
  return row!.keys
}

const search = async (text: string) => (await new RequestsService(store.dataSource).list({ search: text }, 10)).nodes.map((node) => node.id)

/** The ids of the parts `where` selects, read through an index alone. */
async function partsThroughIndex(where: string, value: unknown): Promise<string[]> {
  return store.dataSource.transaction(async (manager) => {
    await manager.query('SET LOCAL enable_seqscan = off')
    const rows = (await manager.query(`SELECT id FROM contents WHERE ${where}`, [value])) as Array<{ id: string }>
    return rows.map((row) => row.id)
  })
}

/** The parts the search-key index names for `text`. */
const partsTheIndexNames = (text: string) => partsThroughIndex('search_keys @> $1::smallint[]', searchKeysOfSearch(text))

/** The same for the trigram-bucket index the migrations before the search keys left. */
const partsTheBucketIndexNames = (text: string) => partsThroughIndex('trigram_buckets(text) @> search_trigram_buckets($1)', text)

describe('body search and base64 payloads', () => {
  it('leaves a screenshot out of its message part’s search keys, and finds the message by its words', async () => {
    const record = recordWithContent(screenshotBlocks(screenshotData(), 'What is wrong with the layout in this screenshot?'))
    await storeRecords(store.dataSource, [record])

    // The base64 alone would fill every bucket.
    expect(await keysOfPartHolding('wrong with the layout')).toBeLessThan(200)
    expect(await search('WRONG WITH THE LAYOUT')).toEqual([record.id])
  })

  it('keeps searchable base64-like text outside those members, a "data" member written inside a text, and a plain-text document', async () => {
    const token = randomBytes(60).toString('base64').replace(/[+/=]/g, 'x')
    const record = recordWithContent([
      { type: 'text', text: `The key is ${token} and the payload reads {"data":"${token}"}` },
      { type: 'tool_result', tool_use_id: 'toolu_1', content: JSON.stringify({ data: token }) },
      { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'Quarterly revenue grew in every region but the north-east.' } },
    ])
    await storeRecords(store.dataSource, [record])

    expect(await search(token.slice(10, 50))).toEqual([record.id])
    // A plain-text document's data is its text, not base64.
    expect(await search('every region but the north')).toEqual([record.id])
  })

  it('gives the parts stored before the search keys theirs, without the payloads, and gives the bucket index back when undone', async () => {
    const data = screenshotData()
    const inPayload = data.slice(5_000, 5_040)
    const record = recordWithContent(screenshotBlocks(data, 'Why does the sidebar overlap the chart?'))
    await storeRecords(store.dataSource, [record])
    const part = await partHolding('sidebar overlap')
    await undoMigrationsThrough(store.dataSource, 'KeepSearchKeysPerPart1798500000000')
    expect(await partsTheBucketIndexNames('sidebar overlap')).toEqual([part])

    await store.dataSource.runMigrations({ transaction: 'each' })
    expect(await partsTheIndexNames(inPayload)).not.toContain(part)
    expect(await partsTheIndexNames('sidebar overlap')).toEqual([part])
    expect(await search('SIDEBAR OVERLAP')).toEqual([record.id])

    await undoMigrationsThrough(store.dataSource, 'KeepSearchKeysPerPart1798500000000')
    expect(await partsTheBucketIndexNames('sidebar overlap')).toEqual([part])
    await store.dataSource.runMigrations({ transaction: 'each' })
  })

  it('gives every part stored before the search keys the keys capture would have written, past one batch of them', async () => {
    const parts = Array.from({ length: 1_100 }, (_, i) => {
      const bytes = Buffer.from(JSON.stringify({ role: 'user', content: `Message ${i} of a long session, ${randomBytes(8).toString('hex')}` }))
      return { id: contentIdOf(bytes), bytes, member: 'messages' }
    }).sort((a, b) => (a.id < b.id ? -1 : 1))
    for (const { text, values } of contentsUpsert(parts)) await store.dataSource.query(text, values)
    await undoMigrationsThrough(store.dataSource, 'KeepSearchKeysPerPart1798500000000')
    await store.dataSource.runMigrations({ transaction: 'each' })

    const rows = (await store.dataSource.query(`SELECT id, search_keys AS keys FROM contents WHERE id = ANY($1::uuid[])`, [parts.map((part) => part.id)])) as Array<{ id: string; keys: number[] }>
    const keysOf = new Map(rows.map((row) => [row.id, row.keys]))
    expect(keysOf.size).toBe(parts.length)
    for (const part of parts) expect(keysOf.get(part.id)).toEqual(searchKeysOfPart(part.bytes.toString()))
  })
})
