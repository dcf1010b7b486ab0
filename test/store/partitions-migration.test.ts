import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { RequestsService } from '../../server/requests/requests.service'
import { partitionName, weekStartOf } from '../../server/store/partitions'
import { makeRecord } from '../support/record-fixtures'
import { REQUEST_BODY_CASES } from '../support/request-bodies'
import { storeRecords } from '../support/stored-records'
import { undoMigrationsThrough, useMigratedStore } from '../support/test-database'

const store = useMigratedStore()

const MIGRATION = 'PartitionRequestsByWeek1797900000000'
/** What the migrations after it add to a `requests` row, to its indexes and to its triggers. */
const ADDED_LATER = {
  columns: { request_body_content_list_id: null, request_body_content_list_at: null, request_body_own_ids_at: null },
  indexes: ['requests_content_list_idx'],
  triggers: ['requests_total_conversation_inserts', 'requests_total_conversation_updates'],
}
const DAY_MS = 24 * 60 * 60 * 1000

const query = <T>(sql: string, parameters: unknown[] = []) => store.dataSource.query(sql, parameters) as Promise<T[]>

/** 'r' for a plain table, 'p' for a partitioned one. */
const kindOf = async (table: string) => (await query<{ kind: string }>(`SELECT relkind AS kind FROM pg_class WHERE oid = $1::regclass`, [table]))[0]!.kind

/** Names of a table's indexes but its primary key's, and of its own triggers. */
async function dependentsOf(table: string): Promise<{ indexes: string[]; triggers: string[] }> {
  const indexes = await query<{ name: string }>(`SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = $1::regclass AND NOT i.indisprimary ORDER BY 1`, [table])
  const triggers = await query<{ name: string }>(`SELECT tgname AS name FROM pg_trigger WHERE tgrelid = $1::regclass AND NOT tgisinternal ORDER BY 1`, [table])
  return { indexes: indexes.map((row) => row.name), triggers: triggers.map((row) => row.name) }
}

/** A finished request as the unpartitioned layout holds it, with a stream row and a grade. */
async function insertUnpartitioned(startedAt: Date, body: string): Promise<string> {
  const id = randomUUID()
  await query(
    `INSERT INTO requests (id, status, started_at, completed_at, method, path, provider, stream, request_headers, request_body, request_body_bytes, request_body_is_json, input_tokens, response_sse, model)
     VALUES ($1, 'COMPLETED', $2, $2, 'POST', '/v1/messages', 'anthropic', true, '{}', $3, $4, false, 7, 'data: x\n\n', 'claude-sonnet-4-5')`,
    [id, startedAt, body, Buffer.byteLength(body)],
  )
  await query(`INSERT INTO stream_chunks (request_id, events, data, offsets_ms, bytes) VALUES ($1, '{message_start}', $2, '{1.5}', '{20}')`, [id, ['{"type":"message_start"}']])
  await query(`INSERT INTO prompt_grades (request_id, model, score, criteria, feedback, improved_prompt, graded_at) VALUES ($1, 'claude-haiku-4-5', 0.5, '[]', 'fine', 'better', now())`, [id])
  return id
}

describe('the migration to weekly partitions', () => {
  it('moves every row into its week with bodies, chunks and rollups unchanged, keeps indexes and triggers, and goes back to the unpartitioned layout', async () => {
    await undoMigrationsThrough(store.dataSource, MIGRATION)
    expect([await kindOf('requests'), await kindOf('stream_chunks')]).toEqual(['r', 'r'])
    const before = await dependentsOf('requests')
    expect(before.triggers).toHaveLength(3)
    const now = new Date()
    const starts = [now, new Date(now.getTime() - 21 * DAY_MS), new Date(now.getTime() - 3 * 365 * DAY_MS)]
    const ids: string[] = []
    for (const [index, startedAt] of starts.entries()) ids.push(await insertUnpartitioned(startedAt, REQUEST_BODY_CASES[index % REQUEST_BODY_CASES.length]!.body))
    const rows = await query<Record<string, unknown>>(`SELECT * FROM requests WHERE id = ANY($1::uuid[]) ORDER BY id`, [ids])
    const chunks = await query<Record<string, unknown>>(`SELECT * FROM stream_chunks WHERE request_id = ANY($1::uuid[]) ORDER BY request_id`, [ids])
    const rollups = await query<Record<string, unknown>>(`SELECT * FROM usage_rollups ORDER BY grain, slot_start, model, api_key_fingerprint`)
    expect(rollups.length).toBeGreaterThan(0)

    await store.dataSource.runMigrations({ transaction: 'each' })

    expect([await kindOf('requests'), await kindOf('stream_chunks')]).toEqual(['p', 'p'])
    expect(await query(`SELECT * FROM requests WHERE id = ANY($1::uuid[]) ORDER BY id`, [ids])).toEqual(rows.map((row) => ({ ...row, ...ADDED_LATER.columns })))
    const startOf = new Map(rows.map((row) => [row.id, row.started_at]))
    expect(await query(`SELECT * FROM stream_chunks WHERE request_id = ANY($1::uuid[]) ORDER BY request_id`, [ids])).toEqual(chunks.map((chunk) => ({ ...chunk, started_at: startOf.get(chunk.request_id) })))
    const placed = await query<{ id: string; partition: string }>(`SELECT id, tableoid::regclass::text AS partition FROM requests WHERE id = ANY($1::uuid[])`, [ids])
    expect(ids.map((id) => placed.find((row) => row.id === id)?.partition)).toEqual([partitionName('requests', weekStartOf(starts[0]!)), partitionName('requests', weekStartOf(starts[1]!)), 'requests_default'])
    expect(await query(`SELECT * FROM usage_rollups ORDER BY grain, slot_start, model, api_key_fingerprint`)).toEqual(rollups)
    const after = await dependentsOf('requests')
    expect({ indexes: after.indexes.sort(), triggers: after.triggers.sort() }).toEqual({
      indexes: [...before.indexes, ...ADDED_LATER.indexes].sort(),
      triggers: [...before.triggers, ...ADDED_LATER.triggers].sort(),
    })
    const service = new RequestsService(store.dataSource)
    expect((await service.bodiesOf(ids)).map((bodies) => bodies?.requestBody)).toEqual(ids.map((_, index) => REQUEST_BODY_CASES[index % REQUEST_BODY_CASES.length]!.body))
    // The rollup triggers work on the partitioned table.
    const added = makeRecord({ startedAt: now })
    await storeRecords(store.dataSource, [added])
    const [{ counted }] = await query<{ counted: number }>(`SELECT sum(requests)::int AS counted FROM usage_rollups WHERE grain = 'model'`)
    expect(counted).toBe(rows.length + 1)

    await undoMigrationsThrough(store.dataSource, MIGRATION)

    expect([await kindOf('requests'), await kindOf('stream_chunks')]).toEqual(['r', 'r'])
    expect(await query(`SELECT * FROM requests WHERE id = ANY($1::uuid[]) ORDER BY id`, [ids])).toEqual(rows)
    expect(await query(`SELECT * FROM stream_chunks WHERE request_id = ANY($1::uuid[]) ORDER BY request_id`, [ids])).toEqual(chunks)
    expect(await dependentsOf('requests')).toEqual(before)
    expect(await query(`SELECT conname FROM pg_constraint WHERE conrelid = 'prompt_grades'::regclass AND contype = 'f'`)).toEqual([{ conname: 'prompt_grades_request_fkey' }])
    await query(`DELETE FROM requests WHERE id = $1`, [ids[0]])
    expect(await query(`SELECT 1 FROM prompt_grades WHERE request_id = $1`, [ids[0]])).toEqual([])
    await store.dataSource.runMigrations({ transaction: 'each' })
  })
})
