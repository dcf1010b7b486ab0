import { Between, In } from 'typeorm'
import { v7 as uuidv7 } from 'uuid'
import { describe, expect, it } from 'vitest'
import { RequestsService } from '../../server/requests/requests.service'
import { requestFilterSql } from '../../server/requests/request-filter'
import { buildBatchStatements } from '../../server/store/batch-statements'
import { RequestEntity, StreamChunkEntity } from '../../server/store/entities'
import { ensurePartitions, PARTITION_WEEK_MS, partitionName, weekStartOf } from '../../server/store/partitions'
import { deleteRequests } from '../../server/store/queries/delete-requests'
import { startedAtWindowOf, startedAtWithin } from '../../server/store/queries/request-window'
import { createRetentionStore } from '../../server/store/retention-store'
import { completeOp } from '../capture/records'
import { makeChunk, makeRecord } from '../support/record-fixtures'
import { storeRecords } from '../support/stored-records'
import { useMigratedStore } from '../support/test-database'

const store = useMigratedStore()

const DAY_MS = 24 * 60 * 60 * 1000

/** A Wednesday noon, mid-week, so a window of a day either side stays in its week. */
const WEDNESDAY = new Date('2026-11-25T12:00:00.000Z')

/** A finished record started at `startedAt`, its id a UUIDv7 of that instant as the proxy makes them. */
const recordAt = (startedAt: Date, overrides: Parameters<typeof makeRecord>[0] = {}) =>
  makeRecord({ id: uuidv7({ msecs: startedAt.getTime() }), startedAt, completedAt: new Date(startedAt.getTime() + 2500), ...overrides })

/** Where each row of `table` with these ids is stored: its partition's name, by id. */
async function partitionsOf(table: 'requests' | 'stream_chunks', ids: readonly string[]): Promise<Record<string, string>> {
  const key = table === 'requests' ? 'id' : 'request_id'
  const rows = (await store.dataSource.query(`SELECT ${key} AS id, tableoid::regclass::text AS partition FROM ${table} WHERE ${key} = ANY($1::uuid[])`, [ids])) as Array<{ id: string; partition: string }>
  return Object.fromEntries(rows.map((row) => [row.id, row.partition]))
}

/** The partitions a statement's plan reads, by name. */
async function partitionsScanned(sql: string, parameters: unknown[]): Promise<string[]> {
  const plan = (await store.dataSource.query(`EXPLAIN ${sql}`, parameters)) as Array<{ 'QUERY PLAN': string }>
  const names = plan.flatMap((line) => [...line['QUERY PLAN'].matchAll(/\b(?:requests|stream_chunks)_(?:p\d{8}|default)\b/g)].map((match) => match[0]))
  return [...new Set(names)].sort()
}

const exists = async (name: string) => ((await store.dataSource.query(`SELECT to_regclass($1) IS NOT NULL AS present`, [name])) as [{ present: boolean }])[0].present

type Totals = { requests: number; inputTokens: number }

/** What the usage rollups (15-minute and hourly) count of finished requests, and what the requests themselves hold. */
async function rollupTotals(): Promise<{ rolledUp: Totals; rolledUpHourly: Totals; stored: Totals }> {
  const rolledUpIn = async (table: string) =>
    ((await store.dataSource.query(`SELECT coalesce(sum(requests), 0)::int AS requests, coalesce(sum(input_tokens), 0)::int AS "inputTokens" FROM ${table} WHERE grain = 'model'`)) as [Totals])[0]
  const [rolledUp, rolledUpHourly] = [await rolledUpIn('usage_rollups'), await rolledUpIn('usage_hour_rollups')]
  const [stored] = (await store.dataSource.query(`SELECT count(*)::int AS requests, coalesce(sum(input_tokens), 0)::int AS "inputTokens" FROM requests WHERE status <> 'IN_FLIGHT'`)) as [
    { requests: number; inputTokens: number },
  ]
  return { rolledUp, rolledUpHourly, stored }
}

describe('time-partitioned requests and stream chunks', () => {
  it('creates the current week and the weeks ahead for requests and stream chunks at migration, and each missing week once when asked', async () => {
    const current = weekStartOf(new Date())
    for (const table of ['requests', 'stream_chunks'] as const) {
      for (const ahead of [0, 1, 2]) expect(await exists(partitionName(table, new Date(current.getTime() + ahead * PARTITION_WEEK_MS)))).toBe(true)
      expect(await exists(`${table}_default`)).toBe(true)
    }

    const farWeek = new Date('2031-03-12T00:00:00.000Z')
    expect(await ensurePartitions(store.dataSource, farWeek)).toBe(6)
    expect(await ensurePartitions(store.dataSource, farWeek)).toBe(0)
    expect(await exists('requests_p20310310')).toBe(true)
    expect(await exists('stream_chunks_p20310324')).toBe(true)
  })

  it('stores a request outside every partition in the default partition, and moves it into its week when that week is created, its rollups unchanged', async () => {
    const startedAt = new Date('2032-06-09T10:00:00.000Z')
    const record = recordAt(startedAt)
    await storeRecords(store.dataSource, [record], [makeChunk(record.id, 0), makeChunk(record.id, 1)])
    expect(await partitionsOf('requests', [record.id])).toEqual({ [record.id]: 'requests_default' })
    expect(await partitionsOf('stream_chunks', [record.id])).toEqual({ [record.id]: 'stream_chunks_default' })
    const before = await rollupTotals()

    await ensurePartitions(store.dataSource, startedAt)

    expect(await partitionsOf('requests', [record.id])).toEqual({ [record.id]: 'requests_p20320607' })
    expect(await partitionsOf('stream_chunks', [record.id])).toEqual({ [record.id]: 'stream_chunks_p20320607' })
    expect(await rollupTotals()).toEqual(before)
    expect(before.rolledUp).toEqual(before.stored)
    const read = await new RequestsService(store.dataSource).get(record.id)
    expect(read?.responseSse).toBe(record.responseSse)
    expect((await new RequestsService(store.dataSource).chunks(record.id)).map((chunk) => chunk.seq)).toEqual([0, 1])
  })

  describe('pruning partitions in query plans', () => {
    const weeks = ['requests_p20261116', 'requests_p20261123', 'requests_p20261130']

    it('reads one week when a request is looked up by its UUIDv7 id, and every partition for an id without a time', async () => {
      await ensurePartitions(store.dataSource, new Date(WEDNESDAY.getTime() - 7 * DAY_MS), WEDNESDAY)
      const id = uuidv7({ msecs: WEDNESDAY.getTime() })
      const requests = store.dataSource.getRepository(RequestEntity)

      const [byWindow, byWindowParameters] = requests.createQueryBuilder('r').where({ id: In([id]), ...startedAtWithin(startedAtWindowOf([id])) }).getQueryAndParameters()
      expect(await partitionsScanned(byWindow, byWindowParameters)).toEqual(['requests_p20261123'])

      const [unbounded, unboundedParameters] = requests.createQueryBuilder('r').where({ id: In([id]) }).getQueryAndParameters()
      expect(await partitionsScanned(unbounded, unboundedParameters)).toEqual(expect.arrayContaining([...weeks, 'requests_default']))
    })

    it('reads only the weeks a time range covers when requests are listed by time, and the stream chunks of the requests read', async () => {
      await ensurePartitions(store.dataSource, new Date(WEDNESDAY.getTime() - 7 * DAY_MS), WEDNESDAY)
      const query = store.dataSource.getRepository(RequestEntity).createQueryBuilder('r')
      for (const condition of requestFilterSql({ from: new Date('2026-11-24T00:00:00.000Z'), to: new Date('2026-12-01T00:00:00.000Z') })) query.andWhere(condition.sql, condition.params)
      const [listed, listedParameters] = query.orderBy('r.startedAt', 'DESC').limit(50).getQueryAndParameters()
      expect(await partitionsScanned(listed, listedParameters)).toEqual(['requests_p20261123', 'requests_p20261130'])

      const [chunks, chunksParameters] = store.dataSource
        .getRepository(StreamChunkEntity)
        .createQueryBuilder('s')
        .where({ requestId: In([uuidv7({ msecs: WEDNESDAY.getTime() })]), startedAt: Between(WEDNESDAY, WEDNESDAY) })
        .getQueryAndParameters()
      expect(await partitionsScanned(chunks, chunksParameters)).toEqual(['stream_chunks_p20261123'])
    })

    it('writes a completion into its own week only', async () => {
      await ensurePartitions(store.dataSource, new Date(WEDNESDAY.getTime() - 7 * DAY_MS), WEDNESDAY)
      const record = recordAt(WEDNESDAY)
      const [completion] = buildBatchStatements([completeOp(record)], () => true).statements
      expect(completion!.text).toMatch(/^UPDATE requests/)
      expect(await partitionsScanned(completion!.text, completion!.values)).toEqual(['requests_p20261123'])
    })

    it('deletes requests reading only the weeks they started in', async () => {
      await ensurePartitions(store.dataSource, new Date(WEDNESDAY.getTime() - 7 * DAY_MS), WEDNESDAY)
      const records = [recordAt(WEDNESDAY), recordAt(new Date(WEDNESDAY.getTime() + DAY_MS))]
      await storeRecords(store.dataSource, records, [makeChunk(records[0]!.id, 0)])
      const plan = (await store.dataSource.query(`EXPLAIN DELETE FROM requests WHERE id = ANY($1::uuid[]) AND started_at BETWEEN $2 AND $3`, [records.map((r) => r.id), records[0]!.startedAt, records[1]!.startedAt])) as Array<{
        'QUERY PLAN': string
      }>
      expect(plan.map((line) => line['QUERY PLAN']).join('\n')).not.toMatch(/requests_p20261116|requests_p20261130|requests_default/)

      expect(await deleteRequests(store.dataSource, records)).toBe(2)
      expect(await partitionsOf('requests', records.map((r) => r.id))).toEqual({})
      expect(await partitionsOf('stream_chunks', records.map((r) => r.id))).toEqual({})
    })
  })

  it('drops the weeks wholly older than the retention period with their dependents and rollups, and deletes the partly-old week row by row', async () => {
    const now = new Date()
    const days = 30
    const oldStart = new Date(now.getTime() - 45 * DAY_MS)
    await ensurePartitions(store.dataSource, oldStart, now)
    const oldWeek = weekStartOf(oldStart)
    const old = [recordAt(oldStart), recordAt(new Date(oldStart.getTime() + 60_000))]
    // Started just before the cutoff, in the week the cutoff falls in, which is kept.
    const partlyOld = recordAt(new Date(now.getTime() - (days * DAY_MS + 60 * 60_000)))
    const fresh = recordAt(new Date(now.getTime() - 60_000))
    const all = [...old, partlyOld, fresh]
    await storeRecords(store.dataSource, all, all.map((record) => makeChunk(record.id, 0)))
    for (const record of all) {
      await store.dataSource.query(
        `INSERT INTO prompt_grades (request_id, model, score, criteria, feedback, improved_prompt, graded_at) VALUES ($1, 'claude-haiku-4-5', 0.5, '[]', 'fine', 'better', now())`,
        [record.id],
      )
      await store.dataSource.query(`INSERT INTO conversation_requests (request_id, conversation_id, thread_id, started_at, message_count, new_message_count) VALUES ($1, $2, $2, $3, 1, 1)`, [
        record.id,
        uuidv7(),
        record.startedAt,
      ])
    }
    expect(Object.values(await partitionsOf('requests', old.map((r) => r.id)))).toEqual([partitionName('requests', oldWeek), partitionName('requests', oldWeek)])
    const [{ oldSlots }] = (await store.dataSource.query(`SELECT count(*)::int AS "oldSlots" FROM usage_rollups WHERE slot_start >= $1 AND slot_start < $2`, [oldWeek, new Date(oldWeek.getTime() + PARTITION_WEEK_MS)])) as [
      { oldSlots: number },
    ]
    expect(oldSlots).toBeGreaterThan(0)

    const result = await createRetentionStore(store.dataSource).prune(days)

    expect(result.requestsDeleted).toBeGreaterThanOrEqual(3)
    expect(await exists(partitionName('requests', oldWeek))).toBe(false)
    expect(await exists(partitionName('stream_chunks', oldWeek))).toBe(false)
    expect(await exists(partitionName('requests', weekStartOf(partlyOld.startedAt)))).toBe(true)
    const ids = all.map((record) => record.id)
    expect(Object.keys(await partitionsOf('requests', ids))).toEqual([fresh.id])
    expect(Object.keys(await partitionsOf('stream_chunks', ids))).toEqual([fresh.id])
    for (const table of ['prompt_grades', 'conversation_requests']) {
      const left = (await store.dataSource.query(`SELECT request_id FROM ${table} WHERE request_id = ANY($1::uuid[])`, [ids])) as Array<{ request_id: string }>
      expect(left.map((row) => row.request_id)).toEqual([fresh.id])
    }
    const rollups = await rollupTotals()
    expect(rollups.rolledUp).toEqual(rollups.stored)
    expect(rollups.rolledUpHourly).toEqual(rollups.stored)
    expect((await new RequestsService(store.dataSource).get(fresh.id))?.requestBody).toBe(fresh.requestBody)
  })
})
