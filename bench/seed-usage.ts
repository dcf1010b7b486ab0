/**
 * Seeds a database with synthetic finished requests for the usage benchmarks: a realistic spread
 * of models (an unknown one among them), API keys, prompt sizes and cache use over the last
 * `BENCH_DAYS` days, each costed with the shipped price book. Rows go in through the `requests`
 * table (bodies left tiny), so the rollup triggers run as they do for captured records.
 *
 * Usage: `DATABASE_URL=postgres://… BENCH_RECORDS=1000000 node -r @swc-node/register bench/seed-usage.ts`
 * (migrates the database first). Prints the insert rate, which is also the rate the rollups keep up with.
 */
import { randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import type { DataSource } from 'typeorm'
import type { UsageRecord } from '../server/records/request-record'
import { openStore } from '../server/store/data-source'
import { costOf } from '../server/usage/cost'
import { PriceBook } from '../server/usage/price-book'
import { SHIPPED_ALIASES, SHIPPED_PRICES } from '../server/usage/price-data'

/** Model ids as clients send them, with their share of requests. */
const MODELS: Array<[string, number]> = [
  ['claude-sonnet-4-5-20250929', 0.3],
  ['claude-sonnet-5-5', 0.2],
  ['claude-haiku-4-5-20251001', 0.2],
  ['claude-opus-4-6', 0.12],
  ['claude-opus-5-5', 0.08],
  ['claude-haiku-5-5', 0.06],
  ['claude-fable-5', 0.03],
  ['claude-nova-9', 0.01],
]
const KEYS = Array.from({ length: 40 }, (_, i) => `key:${(0x1000_0000 + i * 7919).toString(16)}`)
const BATCH = 5_000

/** A deterministic generator, so two runs seed the same records. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => ((state = (Math.imul(state ^ (state >>> 15), 2_246_822_519) + 0x9e37_79b9) >>> 0) / 2 ** 32)
}

function pick<T>(items: Array<[T, number]>, r: number): T {
  let acc = 0
  for (const [item, weight] of items) if (r < (acc += weight)) return item
  return items.at(-1)![0]
}

interface SeedOptions {
  records: number
  days: number
  /** The last instant records start before. */
  now: Date
}

/** Inserts `records` finished requests spread over `days` days before `now`; returns records per second. */
export async function seedUsage(dataSource: DataSource, { records, days, now }: SeedOptions): Promise<number> {
  const book = new PriceBook(SHIPPED_PRICES, [], SHIPPED_ALIASES)
  const next = random(42)
  const started = performance.now()
  for (let done = 0; done < records; done += BATCH) {
    const columns: unknown[][] = Array.from({ length: 17 }, () => [])
    for (let i = 0; i < Math.min(BATCH, records - done); i++) {
      const model = pick(MODELS, next())
      // Keys are skewed: a few busy users, a long tail.
      const key = KEYS[Math.floor(KEYS.length * next() ** 2)]!
      const startedAt = new Date(now.getTime() - next() * days * 86_400_000)
      const countTokens = next() < 0.04
      const fresh = Math.round(20 + next() ** 3 * 20_000)
      const cacheRead = next() < 0.8 ? Math.round(next() * 180_000) : 0
      const write1h = next() < 0.3 ? Math.round(next() * 8_000) : 0
      const write5m = Math.round(next() * 6_000)
      const usage: UsageRecord | null = countTokens
        ? null
        : {
            inputTokens: fresh, outputTokens: Math.round(10 + next() ** 2 * 8_000), cacheCreationInputTokens: write5m + write1h, cacheCreation5mInputTokens: write5m,
            cacheCreation1hInputTokens: write1h, cacheReadInputTokens: cacheRead, thinkingTokens: null, webSearchRequests: next() < 0.02 ? 1 : 0, webFetchRequests: 0,
            serviceTier: next() < 0.03 ? 'batch' : 'standard', inferenceGeo: null,
          }
      const path = countTokens ? '/v1/messages/count_tokens' : '/v1/messages'
      const cost = costOf({ path, model, routedModel: null, startedAt, usage }, book)
      const values = [randomUUID(), startedAt, new Date(startedAt.getTime() + 4000), path, model, !countTokens, key, usage?.inputTokens ?? null, usage?.outputTokens ?? null,
        usage?.cacheCreationInputTokens ?? null, usage?.cacheCreation5mInputTokens ?? null, usage?.cacheCreation1hInputTokens ?? null, usage?.cacheReadInputTokens ?? null,
        usage?.serviceTier ?? null, cost.costUsd, cost.priceId, cost.costStatus]
      values.forEach((value, column) => columns[column]!.push(value))
    }
    await dataSource.query(
      `INSERT INTO requests (id, status, started_at, completed_at, method, path, model, provider, stream, request_headers, request_body, request_body_bytes, request_body_is_json,
         api_key_fingerprint, input_tokens, output_tokens, cache_creation_input_tokens, cache_creation_5m_input_tokens, cache_creation_1h_input_tokens, cache_read_input_tokens,
         service_tier, cost_usd, price_id, cost_status)
       SELECT id, 'COMPLETED', started_at, completed_at, 'POST', path, model, 'anthropic', stream, '{}'::jsonb, '{}', 2, true,
         key, input, output, cache_write, cache_write_5m, cache_write_1h, cache_read, tier, cost, price_id, cost_status
       FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::text[], $5::text[], $6::boolean[], $7::text[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[],
         $12::bigint[], $13::bigint[], $14::text[], $15::numeric[], $16::text[], $17::text[])
         AS t (id, started_at, completed_at, path, model, stream, key, input, output, cache_write, cache_write_5m, cache_write_1h, cache_read, tier, cost, price_id, cost_status)`,
      columns,
    )
    if (process.stdout.isTTY) process.stdout.write(`\r${done + BATCH} / ${records}`)
  }
  const rate = records / ((performance.now() - started) / 1000)
  // Fresh statistics, as autovacuum would gather them soon after such a load.
  await dataSource.query('ANALYZE requests, usage_rollups')
  return rate
}

if (require.main === module) {
  void (async () => {
    const url = process.env.DATABASE_URL
    if (!url) throw new Error('DATABASE_URL is required')
    const dataSource = await openStore(url)
    const records = Number(process.env.BENCH_RECORDS ?? 1_000_000)
    const rate = await seedUsage(dataSource, { records, days: Number(process.env.BENCH_DAYS ?? 60), now: new Date() })
    process.stdout.write(`\nseeded ${records} records at ${Math.round(rate)} records/s (rollups kept by the triggers as they went)\n`)
    await dataSource.destroy()
  })()
}
