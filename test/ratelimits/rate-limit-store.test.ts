import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { RateLimitSnapshotRecord } from '../../server/records/rate-limit-snapshot'
import type { RequestRecord } from '../../server/records/request-record'
import { RateLimitsService } from '../../server/ratelimits/rate-limits.service'
import { createCaptureStore } from '../../server/store/capture-store'
import { deleteRequests } from '../../server/store/queries/delete-requests'
import { RecordRateLimitSnapshots1797100000000 } from '../../server/store/migrations/1797100000000-record-rate-limit-snapshots'
import { completeOp, inFlightRecord, startOp } from '../capture/records'
import { useMigratedStore } from '../support/test-database'

const store = useMigratedStore()

/** A snapshot of `record`'s response with every kind of field set (counts, instants, fractions, words, verbatim headers). */
function snapshotOf(record: RequestRecord, fields: Partial<RateLimitSnapshotRecord> = {}): RateLimitSnapshotRecord {
  return {
    requestId: record.id,
    observedAt: new Date(record.startedAt.getTime() + 300),
    organizationId: 'org-store',
    apiKeyFingerprint: record.apiKeyFingerprint,
    model: record.model,
    httpStatus: 200,
    requestsLimit: 4000,
    requestsRemaining: 0,
    requestsReset: new Date('2026-12-03T12:00:01.000Z'),
    tokensLimit: 9_007_199_254_740_991,
    tokensRemaining: 2_397_000,
    tokensReset: new Date('2026-12-03T12:00:01.000Z'),
    inputTokensLimit: null,
    inputTokensRemaining: null,
    inputTokensReset: null,
    outputTokensLimit: null,
    outputTokensRemaining: null,
    outputTokensReset: null,
    unifiedStatus: 'allowed_warning',
    unifiedReset: new Date('2026-12-03T15:00:00.000Z'),
    unifiedRemaining: null,
    unifiedRepresentativeClaim: 'five_hour',
    unified5hUtilization: 0,
    unified5hReset: new Date('2026-12-03T15:00:00.000Z'),
    unified5hStatus: 'allowed',
    unified7dUtilization: 0.8125,
    unified7dReset: new Date('2026-12-08T00:00:00.000Z'),
    unified7dStatus: 'allowed_warning',
    unifiedFallback: 'available',
    unifiedFallbackPercentage: 0.5,
    unifiedOverageStatus: 'rejected',
    unifiedOverageReason: null,
    unifiedOverageDisabledReason: 'org_level_disabled',
    unifiedOverageUtilization: null,
    unifiedOverageReset: null,
    retryAfterSeconds: 1.5,
    headers: { 'anthropic-ratelimit-unified-5h-utilization': '0', 'retry-after-ms': '1500' },
    ...fields,
  }
}

const snapshotRows = async (id: string) => Number(((await store.dataSource.query('SELECT count(*) AS n FROM rate_limit_snapshots WHERE request_id = $1', [id])) as { n: string }[])[0]!.n)

describe('rate-limit snapshots in the store', () => {
  it("writes a completion's snapshot with its record and reads every field back as written", async () => {
    const record = inFlightRecord()
    const snapshot = snapshotOf(record)

    await createCaptureStore(store.dataSource).writeBatch([completeOp(record, { rateLimit: snapshot })], () => false)

    expect(await new RateLimitsService(store.dataSource).snapshotsOf([record.id, inFlightRecord().id])).toEqual([snapshot, null])
  })

  it('keeps the first snapshot of a request when its completion is replayed, even changed', async () => {
    const record = inFlightRecord()
    const capture = createCaptureStore(store.dataSource)
    await capture.writeBatch([startOp(record)], () => false)
    await capture.writeBatch([completeOp(record, { rateLimit: snapshotOf(record) })], (id) => id === record.id)

    // Replayed from the spool, as an upsert and as an update, with figures that differ.
    await capture.writeBatch([completeOp(record, { rateLimit: snapshotOf(record, { unified5hUtilization: 0.9 }) })], () => false)
    await capture.writeBatch([completeOp(record, { rateLimit: snapshotOf(record, { unified5hUtilization: 0.9 }) })], (id) => id === record.id)

    expect(await snapshotRows(record.id)).toBe(1)
    expect((await new RateLimitsService(store.dataSource).snapshotsOf([record.id]))[0]!.unified5hUtilization).toBe(0)
  })

  it('writes no snapshot for a start, nor for a completion without one', async () => {
    const started = inFlightRecord()
    const plain = inFlightRecord()

    await createCaptureStore(store.dataSource).writeBatch([startOp({ ...started, rateLimit: snapshotOf(started) }), completeOp(plain)], () => false)

    expect(await snapshotRows(started.id)).toBe(0)
    expect(await snapshotRows(plain.id)).toBe(0)
  })

  it('deletes the snapshot with its request', async () => {
    const record = inFlightRecord()
    await createCaptureStore(store.dataSource).writeBatch([completeOp(record, { rateLimit: snapshotOf(record) })], () => false)

    expect(await deleteRequests(store.dataSource, [record])).toBe(1)
    expect(await snapshotRows(record.id)).toBe(0)
  })

  it('reads the newest snapshot of each organization and key, an absent organization or key being a series of its own', async () => {
    const key = `key:${randomUUID().slice(0, 8)}`
    const org = `org-${randomUUID()}`
    const point = (minute: number, organizationId: string | null, apiKeyFingerprint: string | null) => {
      const record = inFlightRecord({ startedAt: new Date(Date.UTC(2026, 11, 3, 12, minute)), apiKeyFingerprint })
      return completeOp(record, { rateLimit: snapshotOf(record, { organizationId, apiKeyFingerprint, unified5hUtilization: minute / 100 }) })
    }
    const ops = [point(1, org, key), point(3, org, key), point(2, org, key), point(4, org, null), point(5, null, key), point(6, null, key), point(7, org, 'key:other')]
    await createCaptureStore(store.dataSource).writeBatch(ops, () => false)

    const latest = (await new RateLimitsService(store.dataSource).latest()).filter((s) => s.organizationId === org || s.apiKeyFingerprint === key)
    expect(latest.map((s) => [s.organizationId, s.apiKeyFingerprint, s.unified5hUtilization])).toEqual([
      [org, 'key:other', 0.07],
      [null, key, 0.06],
      [org, null, 0.04],
      [org, key, 0.03],
    ])
  })

  it('is dropped by its migration going down and made again going up', async () => {
    const migration = new RecordRateLimitSnapshots1797100000000()
    const runner = store.dataSource.createQueryRunner()
    const exists = async () => ((await runner.query(`SELECT to_regclass('rate_limit_snapshots') IS NOT NULL AS present`)) as { present: boolean }[])[0]!.present
    try {
      await migration.down(runner)
      expect(await exists()).toBe(false)
      await migration.up(runner)
      expect(await exists()).toBe(true)
    } finally {
      await runner.release()
    }
  })
})
