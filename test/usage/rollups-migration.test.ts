import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { makeRecord } from '../support/record-fixtures'
import { storeRecords } from '../support/stored-records'
import { undoMigrationsThrough, useMigratedStore } from '../support/test-database'

const store = useMigratedStore()
const MIGRATION = 'PriceRequestsAndRollUpUsage1797000000000'

describe('the migration of costs and rollups', () => {
  it('rolls up the finished requests already stored, per grain, leaves in-flight ones out, and is undone cleanly', async () => {
    await undoMigrationsThrough(store.dataSource, MIGRATION)
    const applied = (await store.dataSource.query(`SELECT name FROM migrations`)) as Array<{ name: string }>
    expect(applied.map((m) => m.name)).not.toContain(MIGRATION)

    const record = (at: string, model: string, key: string, input: number, status: 'COMPLETED' | 'IN_FLIGHT' = 'COMPLETED') =>
      ({ id: randomUUID(), status, startedAt: new Date(at), model, key, input })
    const rows = [
      record('2026-04-01T10:01:00Z', 'claude-haiku-4-5', 'key:a', 1),
      record('2026-04-01T10:14:59Z', 'claude-haiku-4-5', 'key:b', 2),
      record('2026-04-01T10:15:00Z', 'claude-haiku-4-5', 'key:a', 4),
      record('2026-04-01T10:16:00Z', 'claude-sonnet-4-5', 'key:a', 8),
      record('2026-04-01T10:17:00Z', 'claude-sonnet-4-5', 'key:a', 16, 'IN_FLIGHT'),
    ]
    // Rows as the schema before the migration held them (no cost columns yet).
    for (const row of rows) {
      await store.dataSource.query(
        `INSERT INTO requests (id, status, started_at, method, path, provider, stream, request_headers, request_body, request_body_bytes, request_body_is_json, model, api_key_fingerprint, input_tokens)
         VALUES ($1, $2, $3, 'POST', '/v1/messages', 'anthropic', false, '{}', '{}', 2, true, $4, $5, $6)`,
        [row.id, row.status, row.startedAt, row.model, row.key, row.input],
      )
    }

    await store.dataSource.runMigrations({ transaction: 'each' })
    const rollups = await store.dataSource.query(
      `SELECT grain, to_char(slot_start AT TIME ZONE 'UTC', 'HH24:MI') AS slot, model, api_key_fingerprint AS key, requests::int, input_tokens::int AS input
       FROM usage_rollups ORDER BY grain, slot_start, model, api_key_fingerprint`,
    )
    expect(rollups).toEqual([
      { grain: 'api_key', slot: '10:00', model: '', key: 'key:a', requests: 1, input: 1 },
      { grain: 'api_key', slot: '10:00', model: '', key: 'key:b', requests: 1, input: 2 },
      { grain: 'api_key', slot: '10:15', model: '', key: 'key:a', requests: 2, input: 12 },
      { grain: 'model', slot: '10:00', model: 'claude-haiku-4-5', key: '', requests: 2, input: 3 },
      { grain: 'model', slot: '10:15', model: 'claude-haiku-4-5', key: '', requests: 1, input: 4 },
      { grain: 'model', slot: '10:15', model: 'claude-sonnet-4-5', key: '', requests: 1, input: 8 },
      { grain: 'model_api_key', slot: '10:00', model: 'claude-haiku-4-5', key: 'key:a', requests: 1, input: 1 },
      { grain: 'model_api_key', slot: '10:00', model: 'claude-haiku-4-5', key: 'key:b', requests: 1, input: 2 },
      { grain: 'model_api_key', slot: '10:15', model: 'claude-haiku-4-5', key: 'key:a', requests: 1, input: 4 },
      { grain: 'model_api_key', slot: '10:15', model: 'claude-sonnet-4-5', key: 'key:a', requests: 1, input: 8 },
    ])
    // Triggers are in place: a new finished record adds to its slot.
    await storeRecords(store.dataSource, [makeRecord({ startedAt: new Date('2026-04-01T10:20:00Z'), model: 'claude-sonnet-4-5', apiKeyFingerprint: 'key:a' })])
    const [{ requests }] = await store.dataSource.query(`SELECT requests::int FROM usage_rollups WHERE grain = 'model' AND model = 'claude-sonnet-4-5'`)
    expect(requests).toBe(2)
  })
})
