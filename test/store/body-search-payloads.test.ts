import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { RequestRecord } from '../../server/records/request-record'
import { RequestsService } from '../../server/requests/requests.service'
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

/** How many buckets the index takes from the stored part holding `marker`. */
async function bucketsOfPartHolding(marker: string): Promise<number> {
  const [row] = (await store.dataSource.query(`SELECT cardinality(ARRAY(SELECT DISTINCT unnest(trigram_buckets(text)))) AS buckets FROM contents WHERE id = $1`, [await partHolding(marker)])) as Array<{ buckets: number }>
  return row!.buckets
}

/** Whether two texts have the same buckets, as sets. */
async function sameBuckets(a: string, b: string): Promise<boolean> {
  const [row] = (await store.dataSource.query(
    `SELECT ARRAY(SELECT DISTINCT unnest(trigram_buckets($1)) ORDER BY 1) = ARRAY(SELECT DISTINCT unnest(trigram_buckets($2)) ORDER BY 1) AS same`,
    [a, b],
  )) as Array<{ same: boolean }>
  return row!.same
}

const search = async (text: string) => (await new RequestsService(store.dataSource).list({ search: text }, 10)).nodes.map((node) => node.id)

/** The parts the bucket index names for `text`, read through the index alone. */
async function partsTheIndexNames(text: string): Promise<string[]> {
  return store.dataSource.transaction(async (manager) => {
    await manager.query('SET LOCAL enable_seqscan = off')
    const rows = (await manager.query(`SELECT id FROM contents WHERE trigram_buckets(text) @> search_trigram_buckets($1)`, [text])) as Array<{ id: string }>
    return rows.map((row) => row.id)
  })
}

describe('body search and base64 payloads', () => {
  it('leaves a screenshot out of its message part’s buckets, and finds the message by its words', async () => {
    const record = recordWithContent(screenshotBlocks(screenshotData(), 'What is wrong with the layout in this screenshot?'))
    await storeRecords(store.dataSource, [record])

    // The base64 alone used to fill all 4,096 buckets.
    expect(await bucketsOfPartHolding('wrong with the layout')).toBeLessThan(200)
    expect(await search('WRONG WITH THE LAYOUT')).toEqual([record.id])
  })

  it('leaves out a thinking block’s signature and a redacted thinking block’s data', async () => {
    const signature = randomBytes(600).toString('base64')
    const thinking = JSON.stringify({ type: 'thinking', thinking: 'Check the margins first.', signature })
    expect(await sameBuckets(thinking, JSON.stringify({ type: 'thinking', thinking: 'Check the margins first.' }))).toBe(true)
    const redacted = JSON.stringify({ type: 'redacted_thinking', data: signature })
    expect(await sameBuckets(redacted, JSON.stringify({ type: 'redacted_thinking' }))).toBe(true)
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
    expect(await sameBuckets(`{"type":"text","text":"${token}"}`, `{"type":"text","text":""}`)).toBe(false)
  })

  it('takes the payloads out of the parts stored before it, and puts them back when undone', async () => {
    const data = screenshotData()
    const inPayload = data.slice(5_000, 5_040)
    await undoMigrationsThrough(store.dataSource, 'LeaveBase64PayloadsOutOfBodySearch1798400000000')
    const record = recordWithContent(screenshotBlocks(data, 'Why does the sidebar overlap the chart?'))
    await storeRecords(store.dataSource, [record])
    const part = await partHolding('sidebar overlap')
    expect(await partsTheIndexNames(inPayload)).toContain(part)

    await store.dataSource.runMigrations({ transaction: 'each' })
    expect(await partsTheIndexNames(inPayload)).not.toContain(part)
    expect(await partsTheIndexNames('sidebar overlap')).toEqual([part])
    expect(await search('SIDEBAR OVERLAP')).toEqual([record.id])

    await undoMigrationsThrough(store.dataSource, 'LeaveBase64PayloadsOutOfBodySearch1798400000000')
    expect(await partsTheIndexNames(inPayload)).toContain(part)
    await store.dataSource.runMigrations({ transaction: 'each' })
  })
})
