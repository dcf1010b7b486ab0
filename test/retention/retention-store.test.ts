import { describe, expect, it } from 'vitest'
import type { RequestRecord } from '../../server/records/request-record'
import { RequestsService } from '../../server/requests/requests.service'
import { createCaptureStore } from '../../server/store/capture-store'
import { layOutBody } from '../../server/store/contents/body-layout'
import { createRetentionStore } from '../../server/store/retention-store'
import { inFlightRecord, startOp } from '../capture/records'
import { conversationTurnRecord, makeChunk, makeRecord } from '../support/record-fixtures'
import { conversationTurnBody } from '../support/request-bodies'
import { backdateRecords, storeRecords } from '../support/stored-records'
import { useMigratedStore } from '../support/test-database'

const store = useMigratedStore()

const RETENTION_DAYS = 30

/** A record whose body has one part of its own, shared with no other test. */
function singlePartRecord(name: string): RequestRecord {
  const requestBody = JSON.stringify({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: name }] })
  return makeRecord({ startedAt: new Date(), requestBody, requestBodyBytes: Buffer.byteLength(requestBody) })
}

const turns = (conversation: string, from: number, to: number) => Array.from({ length: to - from }, (_, i) => conversationTurnRecord(conversation, from + i))

/** The content ids a body's parts are stored under. */
const partIdsOf = (records: readonly RequestRecord[]) => [...new Set(records.flatMap((record) => layOutBody(Buffer.from(record.requestBody)).contentIds ?? []))]

async function presentIds(table: 'requests' | 'contents' | 'content_lists', ids: readonly string[]): Promise<string[]> {
  const rows = (await store.dataSource.query(`SELECT id FROM ${table} WHERE id = ANY($1::uuid[]) ORDER BY id`, [ids])) as Array<{ id: string }>
  return rows.map((row) => row.id)
}

async function chunkCount(ids: readonly string[]): Promise<number> {
  const [row] = (await store.dataSource.query(`SELECT count(*)::int AS n FROM stream_chunks WHERE request_id = ANY($1::uuid[])`, [ids])) as Array<{ n: number }>
  return row!.n
}

/** Every body of `records` as the API reads it back, in order. */
async function bodiesReadBack(records: readonly RequestRecord[]): Promise<Array<string | undefined>> {
  return (await new RequestsService(store.dataSource).bodiesOf(records.map((record) => record.id))).map((bodies) => bodies?.requestBody)
}

const sorted = (ids: readonly string[]) => [...ids].sort()

describe('pruning old records', () => {
  it('deletes the requests that started before the cutoff, whatever their status, with their stream chunks, and keeps recent ones whole', async () => {
    const old = [conversationTurnRecord('status-old', 0), conversationTurnRecord('status-old', 1, { status: 'FAILED', error: 'upstream reset' }), conversationTurnRecord('status-old', 2, { status: 'IN_FLIGHT', completedAt: null })]
    const recent = conversationTurnRecord('status-recent', 0)
    const chunks = [...old, recent].flatMap((record) => [0, 1, 2].map((seq) => makeChunk(record.id, seq)))
    await storeRecords(store.dataSource, old, chunks.filter((chunk) => chunk.requestId !== recent.id))
    await backdateRecords(store.dataSource, old.map((record) => record.id), RETENTION_DAYS + 1)
    await storeRecords(store.dataSource, [recent], chunks.filter((chunk) => chunk.requestId === recent.id))

    const result = await createRetentionStore(store.dataSource).prune(RETENTION_DAYS)

    expect(result.requestsDeleted).toBe(3)
    expect(await presentIds('requests', old.map((record) => record.id))).toEqual([])
    expect(await chunkCount(old.map((record) => record.id))).toBe(0)
    const service = new RequestsService(store.dataSource)
    expect((await service.get(recent.id))?.requestBody).toBe(recent.requestBody)
    expect(await service.chunks(recent.id)).toHaveLength(3)
  })

  it('reports a cutoff the retention period before the database clock', async () => {
    const [{ now }] = (await store.dataSource.query('SELECT now() AS now')) as Array<{ now: Date }>
    const { cutoff } = await createRetentionStore(store.dataSource).prune(RETENTION_DAYS)
    const [{ later }] = (await store.dataSource.query('SELECT now() AS later')) as Array<{ later: Date }>

    const day = 24 * 60 * 60 * 1000
    expect(cutoff.getTime()).toBeGreaterThanOrEqual(now.getTime() - RETENTION_DAYS * day - 1)
    expect(cutoff.getTime()).toBeLessThanOrEqual(later.getTime() - RETENTION_DAYS * day)
  })

  it('keeps every content a kept request uses, and deletes those only pruned requests used', async () => {
    const old = turns('contents-old', 0, 4)
    await storeRecords(store.dataSource, old)
    await backdateRecords(store.dataSource, old.map((record) => record.id), RETENTION_DAYS + 10)
    // Another conversation, recent: the same system prompt and tools, messages of its own.
    const recent = turns('contents-recent', 0, 6)
    await storeRecords(store.dataSource, recent)
    const kept = partIdsOf(recent)
    const onlyOld = partIdsOf(old).filter((id) => !kept.includes(id))

    const result = await createRetentionStore(store.dataSource).prune(RETENTION_DAYS)

    expect(onlyOld).toHaveLength(4)
    expect(result).toMatchObject({ requestsDeleted: 4, contentsDeleted: 4 })
    expect(await presentIds('contents', onlyOld)).toEqual([])
    expect(await presentIds('contents', kept)).toEqual(sorted(kept))
    expect(await bodiesReadBack(recent)).toEqual(recent.map((record) => record.requestBody))
  })

  it('deletes the lists of part ids only pruned requests named, and keeps the list a kept request names', async () => {
    // Turns of 32 and 33 messages name a list of their first 32; the kept turn of 35 names the same one as its conversation's old turns.
    const old = turns('lists-old', 31, 33)
    const shared = turns('lists-shared', 31, 33)
    await storeRecords(store.dataSource, [...old, ...shared])
    await backdateRecords(store.dataSource, [...old, ...shared].map((record) => record.id), RETENTION_DAYS + 10)
    const kept = conversationTurnRecord('lists-shared', 34)
    await storeRecords(store.dataSource, [kept])
    const listOf = (record: RequestRecord) => layOutBody(Buffer.from(record.requestBody)).partList!.id

    await createRetentionStore(store.dataSource).prune(RETENTION_DAYS)

    expect(listOf(shared[0]!)).toBe(listOf(kept))
    expect(await presentIds('content_lists', [listOf(old[0]!), listOf(kept)])).toEqual([listOf(kept)])
    expect(await bodiesReadBack([kept])).toEqual([kept.requestBody])
  })

  it('keeps a content last used within the reuse window before the cutoff, which a writer may still skip sending, and deletes one used well before it', async () => {
    const record = conversationTurnRecord('window', 1)
    await storeRecords(store.dataSource, [record])
    const [first, second] = layOutBody(Buffer.from(record.requestBody)).contentIds!.slice(-2)
    await store.dataSource.query(`DELETE FROM requests WHERE id = $1`, [record.id])
    const lastUsed = `now() - make_interval(days => $2)`
    await store.dataSource.query(`UPDATE contents SET last_used_at = ${lastUsed} - interval '30 minutes' WHERE id = $1`, [first, RETENTION_DAYS])
    await store.dataSource.query(`UPDATE contents SET last_used_at = ${lastUsed} - interval '3 hours' WHERE id = $1`, [second, RETENTION_DAYS])

    await createRetentionStore(store.dataSource).prune(RETENTION_DAYS)

    expect(await presentIds('contents', [first!, second!])).toEqual([first])
  })

  it('deletes at most a batch per statement and pauses between batches, until nothing old is left', async () => {
    const old = Array.from({ length: 5 }, (_, i) => singlePartRecord(`batches ${i}`))
    await storeRecords(store.dataSource, old)
    await backdateRecords(store.dataSource, old.map((record) => record.id), RETENTION_DAYS + 1)
    const oldIds = old.map((record) => record.id)
    const left: number[] = []

    const result = await createRetentionStore(store.dataSource).prune(RETENTION_DAYS, {
      maxBatchSize: 2,
      statementTargetMs: Infinity,
      pause: async () => {
        left.push((await presentIds('requests', oldIds)).length)
      },
    })

    // Requests 2, 2 and 1, then their 5 contents 2, 2 and 1, then no list of part ids (the bodies
    // are short), no Claude Code event and no metric point, then a VACUUM of each of the six tables
    // deleted from (requests, stream chunks, rate-limit snapshots, conversation places, prompt
    // grades, contents): a pause between every two statements.
    expect(result).toEqual({ cutoff: expect.any(Date), requestsDeleted: 5, contentsDeleted: 5, telemetryDeleted: 0 })
    expect(left).toEqual([3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
  })

  it('stops between two batches once its signal is aborted, reporting what it deleted so far', async () => {
    const old = Array.from({ length: 4 }, (_, i) => singlePartRecord(`abort ${i}`))
    await storeRecords(store.dataSource, old)
    await backdateRecords(store.dataSource, old.map((record) => record.id), RETENTION_DAYS + 1)
    const abort = new AbortController()

    const result = await createRetentionStore(store.dataSource).prune(RETENTION_DAYS, { maxBatchSize: 1, signal: abort.signal, pause: async () => abort.abort() })

    expect(result).toMatchObject({ requestsDeleted: 1, contentsDeleted: 0 })
    expect(await presentIds('requests', old.map((record) => record.id))).toHaveLength(3)
    // A later prune takes up the rest (and leaves the next test nothing old).
    expect(await createRetentionStore(store.dataSource).prune(RETENTION_DAYS)).toMatchObject({ requestsDeleted: 3, contentsDeleted: 4 })
  })

  it('leaves the space it freed to new records: the tables do not grow when as many records come back', async () => {
    const chunksOf = (records: RequestRecord[]) => records.flatMap((record) => Array.from({ length: 100 }, (_, seq) => makeChunk(record.id, seq, 'x'.repeat(500))))
    const generation = (name: string) => Array.from({ length: 100 }, (_, i) => conversationTurnRecord(`${name} ${i}`, 3))
    // A partitioned table's own size is nothing: its partitions hold the rows.
    const sizeOf = (table: string) => `(SELECT coalesce(sum(pg_table_size(relid)), pg_table_size('${table}')) FROM pg_partition_tree('${table}'))::int`
    const sizes = async () => (await store.dataSource.query(`SELECT ${sizeOf('requests')} AS requests, ${sizeOf('stream_chunks')} AS chunks, ${sizeOf('contents')} AS contents`)) as [Record<string, number>]
    const first = generation('space first')
    await storeRecords(store.dataSource, first, chunksOf(first))
    await backdateRecords(store.dataSource, first.map((record) => record.id), RETENTION_DAYS + 1)
    await createRetentionStore(store.dataSource).prune(RETENTION_DAYS)
    const [before] = await sizes()

    const second = generation('space second')
    await storeRecords(store.dataSource, second, chunksOf(second))
    await backdateRecords(store.dataSource, second.map((record) => record.id), RETENTION_DAYS + 1)
    await createRetentionStore(store.dataSource).prune(RETENTION_DAYS)
    const [after] = await sizes()

    for (const table of ['requests', 'chunks', 'contents']) expect(after![table], table).toBeLessThan(before![table]! * 1.2)
  })

  it('loses nothing capture writes while it runs: new turns of a conversation sharing parts with pruned requests all read back whole', async () => {
    // A conversation, and another one, both last used long ago.
    const old = [...turns('live-old', 0, 10), ...turns('live-other', 0, 10)]
    await storeRecords(store.dataSource, old)
    await backdateRecords(store.dataSource, old.map((record) => record.id), RETENTION_DAYS + 5)
    const written: RequestRecord[] = []
    const nextTurns = new Map<string, number>([['live-old', 10], ['live-fresh', 0]])
    /** Writes the next turn of `conversation` through `writer`. */
    const writeTurn = async (writer: ReturnType<typeof createCaptureStore>, conversation: string) => {
      const turn = nextTurns.get(conversation)!
      nextTurns.set(conversation, turn + 1)
      const record = inFlightRecord({ requestBody: conversationTurnBody(conversation, turn) })
      written.push(record)
      await writer.writeBatch([startOp(record)], () => false)
    }
    // The old conversation goes on: its writer sends the old parts once, then only what is new.
    const steady = createCaptureStore(store.dataSource)
    let pruning = true
    const background = (async () => {
      while (pruning) await writeTurn(steady, 'live-old')
    })()

    // Between every two batches, a writer that knows none of the parts (a fresh process) writes a
    // turn of another conversation: it sends the system prompt and tools, old parts included.
    const result = await createRetentionStore(store.dataSource).prune(RETENTION_DAYS, { maxBatchSize: 1, pause: () => writeTurn(createCaptureStore(store.dataSource), 'live-fresh') })
    pruning = false
    await background

    expect(result.requestsDeleted).toBe(20)
    expect(await presentIds('requests', old.map((record) => record.id))).toEqual([])
    expect(written.length).toBeGreaterThan(20)
    expect(await bodiesReadBack(written)).toEqual(written.map((record) => record.requestBody))
    const otherMessages = partIdsOf(old.slice(10)).filter((id) => !partIdsOf(written).includes(id))
    expect(otherMessages).toHaveLength(10)
    expect(await presentIds('contents', otherMessages)).toEqual([])
  })
})
