import { randomUUID } from 'node:crypto'
import { beforeEach, describe, expect, it } from 'vitest'
import { createLogger } from '../../server/logger'
import { NO_CHUNKS, type CaptureOp } from '../../server/records/capture-op'
import type { RequestRecord, UsageRecord } from '../../server/records/request-record'
import { createCaptureStore } from '../../server/store/capture-store'
import { withPricing } from '../../server/usage/priced-capture-store'
import { PricesService } from '../../server/usage/prices.service'
import { UsageService } from '../../server/usage/usage.service'
import { makeRecord } from '../support/record-fixtures'
import { useMigratedStore } from '../support/test-database'
import { waitFor } from '../support/wait'

const store = useMigratedStore()

function tokens(input: number, output: number, more: Partial<UsageRecord> = {}): UsageRecord {
  return {
    inputTokens: input, outputTokens: output, cacheCreationInputTokens: 0, cacheCreation5mInputTokens: 0, cacheCreation1hInputTokens: 0, cacheReadInputTokens: 0,
    thinkingTokens: null, webSearchRequests: null, webFetchRequests: null, serviceTier: 'standard', inferenceGeo: null, ...more,
  }
}

/** A finished request of `model` started at `at`, under an API key of its own test run. */
function finished(at: string, model: string, usage: UsageRecord | null, key = 'key:a'): RequestRecord {
  return makeRecord({ id: randomUUID(), startedAt: new Date(at), completedAt: new Date(at), model, usage, apiKeyFingerprint: key })
}

let prices: PricesService
let usage: UsageService

beforeEach(async () => {
  await store.dataSource.query('TRUNCATE requests, stream_chunks, usage_rollups, usage_hour_rollups, price_overrides CASCADE')
  prices = new PricesService({ dataSource: store.dataSource, logger: createLogger('silent'), batchSize: 3 })
  usage = new UsageService(store.dataSource)
})

/** Writes ops as the capture writer does, pricing each batch first. */
async function write(ops: CaptureOp[]): Promise<void> {
  const book = await prices.book()
  await withPricing(createCaptureStore(store.dataSource), { current: () => book, recostLater: () => {} }).writeBatch(ops, () => false)
}

const complete = (record: RequestRecord): CaptureOp => ({ kind: 'complete', record, chunks: NO_CHUNKS })
const range = (from: string, to: string) => [new Date(from), new Date(to)] as const

describe('pricing on write', () => {
  it('stores the cost and price row of a cached streamed request, and flags an unknown model with no cost', async () => {
    const cached = finished('2026-11-02T10:00:00Z', 'claude-sonnet-4-5-20250929', tokens(1000, 500, { cacheReadInputTokens: 20_000, cacheCreationInputTokens: 5000, cacheCreation5mInputTokens: 3000, cacheCreation1hInputTokens: 2000 }))
    const unknown = finished('2026-11-02T10:01:00Z', 'claude-nova-9', tokens(1000, 10))
    await write([complete(cached), complete(unknown)])

    const rows = await store.dataSource.query(`SELECT id, cost_usd::text, price_id, cost_status FROM requests ORDER BY started_at`)
    // 1,000 x $3 + 500 x $15 + 20,000 x $0.30 + 3,000 x $3.75 + 2,000 x $6, per million
    expect(rows).toEqual([
      { id: cached.id, cost_usd: '0.03975', price_id: 'shipped:claude-sonnet-4-5:1970-01-01:0', cost_status: 'PRICED' },
      { id: unknown.id, cost_usd: null, price_id: null, cost_status: 'UNKNOWN_MODEL' },
    ])
    const report = await usage.report(...range('2026-11-02T00:00:00Z', '2026-11-03T00:00:00Z'), ['MODEL'], 'UTC')
    expect(report.totals).toMatchObject({ requests: 2, costUsdExact: '0.03975', unpricedRequests: 1, totalInputTokens: 27_000 })
    expect(report.unpricedModels).toEqual(['claude-nova-9'])
    expect(report.warnings).toEqual([expect.stringContaining('claude-nova-9')])
  })

  it('counts an in-flight request only once it is done, and once however often its completion is written', async () => {
    const record = finished('2026-11-02T10:00:00Z', 'claude-haiku-4-5', tokens(1_000_000, 0))
    await write([{ kind: 'start', record: { ...record, status: 'IN_FLIGHT', usage: null } }])
    const day = range('2026-11-02T00:00:00Z', '2026-11-03T00:00:00Z')
    expect((await usage.report(...day, [], 'UTC')).totals.requests).toBe(0)

    await write([complete(record)])
    await write([complete(record)])
    // 1,000,000 x $1
    expect((await usage.report(...day, [], 'UTC')).totals).toMatchObject({ requests: 1, inputTokens: 1_000_000, costUsdExact: '1' })
  })
})

describe('pricing while the price book changes', () => {
  it('costs again with the new book the records of a batch written while it changed', async () => {
    const record = finished('2026-11-02T10:00:00Z', 'claude-haiku-4-5', tokens(1_000_000, 0))
    const shipped = await prices.book()
    // The store's write is where the book changes, as when setPrice lands during a batch's commit
    const capture = createCaptureStore(store.dataSource)
    let book = shipped
    const raced = { ...capture, writeBatch: async (...args: Parameters<typeof capture.writeBatch>) => {
      await capture.writeBatch(...args)
      await prices.setPrice({ model: 'claude-haiku-4-5', effectiveFrom: new Date('2026-01-01T00:00:00Z'), inputUsdPerMTok: 2, outputUsdPerMTok: 10 })
      book = await prices.book()
    } }
    const recosted = new Promise<readonly string[]>((resolve) => {
      void withPricing(raced, { current: () => book, recostLater: (ids) => { prices.recostLater(ids); resolve(ids) } }).writeBatch([complete(record)], () => false)
    })

    expect(await recosted).toEqual([record.id])
    // 1,000,000 x $2 with the new price, not $1 with the shipped one
    await waitFor(async () => (await store.dataSource.query(`SELECT cost_usd::text AS cost FROM requests WHERE id = $1`, [record.id]))[0].cost === '2', 'the record costed with the new price')
  })
})

describe('records written unpriced', () => {
  it('are costed once the price book loads, as records from before pricing existed are', async () => {
    const record = finished('2026-11-02T10:00:00Z', 'claude-haiku-4-5', tokens(1_000_000, 0))
    await createCaptureStore(store.dataSource).writeBatch([complete(record)], () => false)
    const before = await store.dataSource.query(`SELECT cost_status FROM requests WHERE id = $1`, [record.id])
    expect(before).toEqual([{ cost_status: null }])

    prices.start()
    try {
      // 1,000,000 x $1
      await waitFor(async () => (await store.dataSource.query(`SELECT cost_usd::text AS cost FROM requests WHERE id = $1`, [record.id]))[0].cost === '1', 'the unpriced record costed')
      const report = await usage.report(...range('2026-11-02T00:00:00Z', '2026-11-03T00:00:00Z'), [], 'UTC')
      expect(report.totals).toMatchObject({ requests: 1, costUsdExact: '1' })
    } finally {
      prices.close()
    }
  })
})

describe('setPrice', () => {
  it('re-costs the history of the model from the price date on, in batches, and the report follows', async () => {
    const before = finished('2026-01-15T00:00:00Z', 'claude-haiku-4-5-20251001', tokens(1_000_000, 0))
    const after = [1, 2, 3, 4, 5].map((day) => finished(`2026-02-0${day}T12:00:00Z`, 'claude-haiku-4-5', tokens(1_000_000, 100_000)))
    const other = finished('2026-02-02T00:00:00Z', 'claude-sonnet-4-5', tokens(100_000, 0))
    await write([before, ...after, other].map(complete))

    const result = await prices.setPrice({ model: 'claude-haiku-4-5-20251001', effectiveFrom: new Date('2026-02-01T00:00:00Z'), inputUsdPerMTok: 2, outputUsdPerMTok: 10 })

    expect(result.recostedRequests).toBe(5)
    expect(result.price).toMatchObject({ model: 'claude-haiku-4-5', inputUsdPerMTok: '2', cacheWrite5mUsdPerMTok: '2.5', cacheWrite1hUsdPerMTok: '4', cacheReadUsdPerMTok: '0.2', batchMultiplier: '0.5', source: 'OVERRIDE' })
    const costs = await store.dataSource.query(`SELECT cost_usd::text AS cost, price_id FROM requests WHERE id = ANY($1) ORDER BY started_at`, [[before.id, ...after.map((r) => r.id), other.id]])
    // before: 1,000,000 x $1 (shipped); after: 1,000,000 x $2 + 100,000 x $10 = $3 each; Sonnet (third by time): 100,000 x $3
    expect(costs.map((row: { cost: string }) => row.cost)).toEqual(['1', '3', '0.3', '3', '3', '3', '3'])
    expect(costs[1].price_id).toBe(result.price.id)
    // Grouped by the model id as recorded, dated or not
    const report = await usage.report(...range('2026-01-01T00:00:00Z', '2026-03-01T00:00:00Z'), ['MODEL'], 'UTC')
    expect(report.buckets.map((b) => [b.model, b.costUsdExact])).toEqual([['claude-haiku-4-5', '15'], ['claude-haiku-4-5-20251001', '1'], ['claude-sonnet-4-5', '0.3']])
  })

  it('prices the requests of a model that had none once it gets a price', async () => {
    const record = finished('2026-03-01T00:00:00Z', 'claude-nova-9', tokens(500_000, 0))
    await write([complete(record)])
    const result = await prices.setPrice({ model: 'claude-nova-9', effectiveFrom: new Date('2026-01-01T00:00:00Z'), inputUsdPerMTok: 4, outputUsdPerMTok: 20 })
    expect(result.recostedRequests).toBe(1)
    // 500,000 x $4
    const report = await usage.report(...range('2026-03-01T00:00:00Z', '2026-03-02T00:00:00Z'), [], 'UTC')
    expect(report.totals).toMatchObject({ costUsdExact: '2', unpricedRequests: 0 })
    expect(report.unpricedModels).toEqual([])
  })

  it('refuses a price out of range with INVALID_PRICE naming the field', async () => {
    await expect(prices.setPrice({ model: 'claude-haiku-4-5', effectiveFrom: new Date(), inputUsdPerMTok: -1, outputUsdPerMTok: 1 })).rejects.toMatchObject({ extensions: { code: 'INVALID_PRICE', argument: 'inputUsdPerMTok' } })
    await expect(prices.setPrice({ model: 'claude-haiku-4-5', effectiveFrom: new Date(), inputUsdPerMTok: 1e-12, outputUsdPerMTok: 1 })).rejects.toMatchObject({ extensions: { code: 'INVALID_PRICE' } })
  })
})

describe('usage buckets in a time zone', () => {
  it('gives New York its 23-hour day when the clocks go forward, and London its 25-hour day when they go back', async () => {
    await write([
      // New York, 2026-03-08: local midnight is 05:00Z (EST), the next one 04:00Z (EDT)
      finished('2026-03-08T04:59:00Z', 'claude-haiku-4-5', tokens(1, 0)), // 2026-03-07 23:59 local
      finished('2026-03-08T05:00:00Z', 'claude-haiku-4-5', tokens(2, 0)),
      finished('2026-03-09T03:59:00Z', 'claude-haiku-4-5', tokens(4, 0)),
      finished('2026-03-09T04:00:00Z', 'claude-haiku-4-5', tokens(8, 0)), // 2026-03-09 00:00 local
      // London, 2026-10-25: local midnight is 23:00Z the day before (BST), the next one 00:00Z (GMT)
      finished('2026-10-24T22:59:00Z', 'claude-haiku-4-5', tokens(16, 0)),
      finished('2026-10-24T23:00:00Z', 'claude-haiku-4-5', tokens(32, 0)),
      finished('2026-10-25T23:59:00Z', 'claude-haiku-4-5', tokens(64, 0)),
    ].map(complete))

    const ny = await usage.report(...range('2026-03-07T05:00:00Z', '2026-03-10T04:00:00Z'), ['DAY'], 'America/New_York')
    expect(ny.buckets.map((b) => [b.localStart, b.start?.toISOString(), b.end?.toISOString(), b.inputTokens])).toEqual([
      ['2026-03-07T00:00:00', '2026-03-07T05:00:00.000Z', '2026-03-08T05:00:00.000Z', 1],
      ['2026-03-08T00:00:00', '2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z', 6],
      ['2026-03-09T00:00:00', '2026-03-09T04:00:00.000Z', '2026-03-10T04:00:00.000Z', 8],
    ])
    const london = await usage.report(...range('2026-10-24T00:00:00Z', '2026-10-27T00:00:00Z'), ['DAY'], 'Europe/London')
    expect(london.buckets.map((b) => [b.localStart, b.start?.toISOString(), b.end?.toISOString(), b.inputTokens])).toEqual([
      ['2026-10-24T00:00:00', '2026-10-23T23:00:00.000Z', '2026-10-24T23:00:00.000Z', 16],
      ['2026-10-25T00:00:00', '2026-10-24T23:00:00.000Z', '2026-10-26T00:00:00.000Z', 96],
    ])
  })

  it('keeps the two 01:00 hours of the night London goes back apart, and starts Kathmandu hours at :15 UTC', async () => {
    await write([
      finished('2026-10-25T00:10:00Z', 'claude-haiku-4-5', tokens(1, 0)), // 01:10 BST
      finished('2026-10-25T01:10:00Z', 'claude-haiku-4-5', tokens(2, 0)), // 01:10 GMT
      finished('2026-01-01T00:20:00Z', 'claude-haiku-4-5', tokens(4, 0)), // 06:05 in Kathmandu (+05:45)
    ].map(complete))

    const london = await usage.report(...range('2026-10-25T00:00:00Z', '2026-10-25T02:00:00Z'), ['HOUR'], 'Europe/London')
    expect(london.buckets.map((b) => [b.localStart, b.start?.toISOString(), b.inputTokens])).toEqual([
      ['2026-10-25T01:00:00', '2026-10-25T00:00:00.000Z', 1],
      ['2026-10-25T01:00:00', '2026-10-25T01:00:00.000Z', 2],
    ])
    const kathmandu = await usage.report(...range('2026-01-01T00:00:00Z', '2026-01-01T02:00:00Z'), ['HOUR'], 'Asia/Kathmandu')
    expect(kathmandu.buckets.map((b) => [b.localStart, b.start?.toISOString(), b.inputTokens])).toEqual([['2026-01-01T06:00:00', '2026-01-01T00:15:00.000Z', 4]])
  })

  it('counts only what started inside a range that does not fall on slot boundaries', async () => {
    await write([
      finished('2026-05-01T10:06:59Z', 'claude-haiku-4-5', tokens(1, 0)),
      finished('2026-05-01T10:07:00Z', 'claude-haiku-4-5', tokens(2, 0)),
      finished('2026-05-01T10:30:00Z', 'claude-haiku-4-5', tokens(4, 0)),
      finished('2026-05-01T10:52:59Z', 'claude-haiku-4-5', tokens(8, 0)),
      finished('2026-05-01T10:53:00Z', 'claude-haiku-4-5', tokens(16, 0)),
    ].map(complete))
    const report = await usage.report(...range('2026-05-01T10:07:00Z', '2026-05-01T10:53:00Z'), [], 'UTC')
    expect(report.totals.inputTokens).toBe(2 + 4 + 8)
  })

  it('refuses a zone that is not an IANA name, two time units, and a range backwards or beyond the year 9999', async () => {
    const day = range('2026-05-01T00:00:00Z', '2026-05-02T00:00:00Z')
    await expect(usage.report(...day, [], '+05:30')).rejects.toMatchObject({ extensions: { code: 'INVALID_TIMEZONE' } })
    await expect(usage.report(...day, [], 'Mars/Olympus_Mons')).rejects.toMatchObject({ extensions: { code: 'INVALID_TIMEZONE' } })
    await expect(usage.report(...day, ['DAY', 'HOUR'], 'UTC')).rejects.toMatchObject({ extensions: { code: 'INVALID_GROUP_BY' } })
    await expect(usage.report(day[1], day[0], [], 'UTC')).rejects.toMatchObject({ extensions: { code: 'INVALID_TIME_RANGE' } })
    await expect(usage.report(new Date('+100000-01-01T00:00:00Z'), new Date('+100001-01-01T00:00:00Z'), [], 'UTC')).rejects.toMatchObject({ extensions: { code: 'INVALID_TIME_RANGE' } })
  })
})

describe('usage totals', () => {
  it('equal the sums of the records by day, model and key, and follow deletions', async () => {
    const models = ['claude-haiku-4-5', 'claude-sonnet-4-5', 'claude-opus-4-6', 'claude-nova-9']
    const records = Array.from({ length: 60 }, (_, i) =>
      finished(new Date(Date.UTC(2026, 5, 1) + i * 47 * 60_000 + i * 13_000).toISOString(), models[i % 4]!, tokens(1000 + i, 10 * i, { cacheReadInputTokens: i * 7, cacheCreationInputTokens: i * 3, cacheCreation1hInputTokens: i }), `key:${i % 3}`),
    )
    await write(records.map(complete))
    const sum = (pick: (u: UsageRecord) => number | null) => records.reduce((total, r) => total + (pick(r.usage!) ?? 0), 0)
    const report = await usage.report(...range('2026-06-01T00:00:00Z', '2026-06-04T00:00:00Z'), ['DAY', 'MODEL', 'API_KEY'], 'Asia/Kolkata')

    expect(report.totals).toMatchObject({
      requests: 60,
      inputTokens: sum((u) => u.inputTokens),
      outputTokens: sum((u) => u.outputTokens),
      cacheReadInputTokens: sum((u) => u.cacheReadInputTokens),
      cacheCreation1hInputTokens: sum((u) => u.cacheCreation1hInputTokens),
      unpricedRequests: 15,
    })
    const [{ cost }] = await store.dataSource.query(`SELECT sum(cost_usd)::text AS cost FROM requests`)
    expect(Number(report.totals.costUsdExact)).toBe(Number(cost))
    expect(report.totals.costUsdExact).toBe(cost.replace(/\.?0+$/, ''))
    expect(report.buckets.reduce((n, b) => n + b.requests, 0)).toBe(60)

    await store.dataSource.query(`DELETE FROM requests WHERE id = ANY($1)`, [records.slice(0, 10).map((r) => r.id)])
    const after = await usage.report(...range('2026-06-01T00:00:00Z', '2026-06-04T00:00:00Z'), [], 'UTC')
    expect(after.totals.inputTokens).toBe(sum((u) => u.inputTokens) - records.slice(0, 10).reduce((t, r) => t + r.usage!.inputTokens!, 0))
  })
})
