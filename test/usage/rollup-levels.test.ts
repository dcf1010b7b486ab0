import { randomUUID } from 'node:crypto'
import { beforeEach, describe, expect, it } from 'vitest'
import { NO_CHUNKS, type CaptureOp } from '../../server/records/capture-op'
import type { RequestRecord } from '../../server/records/request-record'
import { createCaptureStore } from '../../server/store/capture-store'
import { deleteRequests } from '../../server/store/queries/delete-requests'
import { ROLLUP_COUNTERS } from '../../server/store/tables/usage-rollups.table'
import { UsageService } from '../../server/usage/usage.service'
import { inFlight, makeRecord } from '../support/record-fixtures'
import { useMigratedStore } from '../support/test-database'

const store = useMigratedStore()

beforeEach(async () => {
  await store.dataSource.query('TRUNCATE requests, stream_chunks, contents, usage_rollups, usage_hour_rollups CASCADE')
})

/** A finished request with a body of its own (so writers share no body part) and `input` tokens. */
function finished(startedAt: Date, model: string, input: number, key = 'key:a'): RequestRecord {
  const id = randomUUID()
  const requestBody = JSON.stringify({ model, max_tokens: 10, messages: [{ role: 'user', content: `request ${id}` }] })
  const base = makeRecord()
  return makeRecord({ id, startedAt, completedAt: startedAt, model, apiKeyFingerprint: key, requestBody, requestBodyBytes: Buffer.byteLength(requestBody), usage: { ...base.usage!, inputTokens: input, outputTokens: input % 7 } })
}

const complete = (record: RequestRecord): CaptureOp => ({ kind: 'complete', record, chunks: NO_CHUNKS })

/**
 * Differences between a rollup level and the sums of the finished requests it should hold, per
 * grain, slot, model and key: none when the level is exact. Rows whose sums are all zero (left by
 * deletions) count as absent.
 */
async function rollupDrift(table: string, width: string): Promise<unknown[]> {
  const counters = ROLLUP_COUNTERS.map((c) => c.name)
  return store.dataSource.query(
    `WITH expected AS (
       SELECT g.grain, date_bin('${width}', r.started_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS slot_start, g.model, g.api_key_fingerprint,
         ${ROLLUP_COUNTERS.map((c) => `sum(${c.ofRequest}) AS ${c.name}`).join(', ')}
       FROM requests r
       CROSS JOIN LATERAL (VALUES ('model', coalesce(r.routed_model, r.model, ''), ''), ('api_key', '', coalesce(r.api_key_fingerprint, '')),
         ('model_api_key', coalesce(r.routed_model, r.model, ''), coalesce(r.api_key_fingerprint, ''))) AS g (grain, model, api_key_fingerprint)
       WHERE r.status <> 'IN_FLIGHT' GROUP BY 1, 2, 3, 4),
     actual AS (SELECT * FROM ${table} WHERE (${counters.join(', ')}) IS DISTINCT FROM (${counters.map(() => '0').join(', ')}))
     SELECT e.grain AS expected_grain, e.slot_start AS expected_slot, e.requests AS expected_requests, a.grain, a.slot_start, a.requests, e.input_tokens AS expected_input, a.input_tokens AS input
     FROM expected e FULL JOIN actual a USING (grain, slot_start, model, api_key_fingerprint)
     WHERE (${counters.map((c) => `e.${c}`).join(', ')}) IS DISTINCT FROM (${counters.map((c) => `a.${c}`).join(', ')})`,
  )
}

async function expectRollupsExact(): Promise<void> {
  expect(await rollupDrift('usage_rollups', '15 minutes')).toEqual([])
  expect(await rollupDrift('usage_hour_rollups', '1 hour')).toEqual([])
}

describe('the rollup levels', () => {
  it('hold the sums of the finished requests per 15 minutes and per hour through starts, completions, rewrites, re-costs and deletions', async () => {
    const capture = createCaptureStore(store.dataSource)
    const records = Array.from({ length: 40 }, (_, i) =>
      finished(new Date(Date.UTC(2026, 6, 1, 10) + i * 11 * 60_000 + i * 7_000), ['claude-haiku-4-5', 'claude-sonnet-4-5'][i % 2]!, 100 + i, `key:${i % 3}`))
    await capture.writeBatch(records.slice(0, 20).map((record) => ({ kind: 'start', record: inFlight(record) })), () => false)
    await expectRollupsExact()
    await capture.writeBatch(records.map(complete), (id) => records.slice(0, 20).some((r) => r.id === id))
    await capture.writeBatch(records.slice(0, 5).map(complete), () => true)
    await store.dataSource.query(`UPDATE requests SET cost_usd = 1.5, routed_model = 'claude-opus-4-6' WHERE id = ANY($1)`, [records.slice(10, 15).map((r) => r.id)])
    await store.dataSource.query(`UPDATE requests SET started_at = started_at + interval '50 minutes' WHERE id = $1`, [records[30]!.id])
    // Record 30 was moved 50 minutes on: a deletion names the start it has now.
    await deleteRequests(store.dataSource, records.slice(25, 35).map((r) => (r === records[30] ? { id: r.id, startedAt: new Date(r.startedAt.getTime() + 50 * 60_000) } : r)))

    const [{ requests }] = (await store.dataSource.query(`SELECT sum(requests)::int AS requests FROM usage_hour_rollups WHERE grain = 'model'`)) as [{ requests: number }]
    expect(requests).toBe(30)
    await expectRollupsExact()
  })

  it('stay exact, without a deadlock, while two writers and retention write the same slots at once in opposite orders', async () => {
    const slots = Array.from({ length: 8 }, (_, i) => new Date(Date.UTC(2026, 6, 2, 10) + i * 15 * 60_000 + 60_000))
    const deadlocks: string[] = []
    /** Runs `write` again on a transient failure, as the capture writer and retention do; counts deadlocks. */
    const retrying = async (write: () => Promise<unknown>) => {
      for (;;) {
        try {
          return await write()
        } catch (err) {
          const code = (err as { code?: string }).code
          if (code !== '40P01' && code !== '40001') throw err
          deadlocks.push(code)
        }
      }
    }
    const written: string[] = []
    const deleted: string[] = []
    const retention: Promise<unknown>[] = []
    const writer = async (order: 'ascending' | 'descending') => {
      const capture = createCaptureStore(store.dataSource)
      for (let batch = 0; batch < 15; batch++) {
        const at = order === 'ascending' ? slots : [...slots].reverse()
        const records = at.flatMap((slot) => ['claude-haiku-4-5', 'claude-sonnet-4-5'].map((model) => finished(slot, model, 1000 + batch)))
        await retrying(() => capture.writeBatch(records.map(complete), () => false))
        written.push(...records.map((r) => r.id))
        // Retention deletes every other record of the batch while both writers go on.
        const gone = records.filter((_, i) => i % 2 === 0)
        retention.push(retrying(() => deleteRequests(store.dataSource, gone)).then(() => deleted.push(...gone.map((r) => r.id))))
      }
    }

    await Promise.all([writer('ascending'), writer('descending')])
    await Promise.all(retention)

    const [{ count }] = (await store.dataSource.query(`SELECT count(*)::int AS count FROM requests`)) as [{ count: number }]
    expect(count).toBe(written.length - deleted.length)
    expect(written).toHaveLength(2 * 15 * 16)
    await expectRollupsExact()
    expect(deadlocks).toEqual([])
  })
})

/** The wall-clock date and minutes past the hour of `at` in `timezone`. */
function localParts(at: Date, timezone: string): { date: string; minute: number; second: number } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
      .formatToParts(at)
      .map((part) => [part.type, part.value]),
  )
  return { date: `${parts.year}-${parts.month}-${parts.day}`, minute: Number(parts.minute), second: Number(parts.second) }
}

describe('usage reports read from both levels', () => {
  // Five weeks over the spring changes of New York (March 8) and London (March 29), and the
  // autumn one of Chatham (+13:45 to +12:45 on April 5); Kolkata and Kathmandu start days and
  // hours inside UTC hours.
  const from = new Date('2026-03-01T00:07:00Z')
  const to = new Date('2026-04-06T23:52:00Z')
  const records = Array.from({ length: 400 }, (_, i) => {
    // Spread over the range, some on the very edges of hours and slots.
    const offset = (i * 7_919_993_117) % (to.getTime() - from.getTime() + 4 * 3_600_000)
    const at = new Date(from.getTime() - 2 * 3_600_000 + (i % 5 === 0 ? Math.round(offset / 900_000) * 900_000 - (i % 10 === 0 ? 1 : 0) : offset))
    return finished(at, ['claude-haiku-4-5', 'claude-sonnet-4-5', 'claude-opus-4-6'][i % 3]!, 1 + i)
  })
  const inRange = records.filter((r) => r.startedAt >= from && r.startedAt < to)
  const sumBy = (key: (record: RequestRecord) => string) => {
    const sums = new Map<string, number>()
    for (const record of inRange) sums.set(key(record), (sums.get(key(record)) ?? 0) + record.usage!.inputTokens!)
    return [...sums].sort(([a], [b]) => a.localeCompare(b))
  }

  beforeEach(async () => {
    await createCaptureStore(store.dataSource).writeBatch(records.map(complete), () => false)
  })

  it.each(['America/New_York', 'Europe/London', 'Asia/Kolkata', 'Asia/Kathmandu', 'Pacific/Chatham'])('give each local day and model of %s the sums of its records', async (timezone) => {
    const report = await new UsageService(store.dataSource).report(from, to, ['DAY', 'MODEL'], timezone)
    expect(report.buckets.map((b) => [`${b.localStart!.slice(0, 10)} ${b.model}`, b.inputTokens]).sort(([a], [b]) => String(a).localeCompare(String(b))))
      .toEqual(sumBy((r) => `${localParts(r.startedAt, timezone).date} ${r.model}`))
    expect(report.totals.requests).toBe(inRange.length)
  })

  it.each(['Europe/London', 'Asia/Kathmandu', 'Pacific/Chatham'])('give each local hour of %s, by its starting instant, the sums of its records', async (timezone) => {
    const report = await new UsageService(store.dataSource).report(from, to, ['HOUR'], timezone)
    const hourStart = (at: Date) => {
      const { minute, second } = localParts(at, timezone)
      return new Date(at.getTime() - (minute * 60 + second) * 1000 - at.getUTCMilliseconds()).toISOString()
    }
    expect(report.buckets.map((b) => [b.start!.toISOString(), b.inputTokens])).toEqual(sumBy((r) => hourStart(r.startedAt)))
  })
})
