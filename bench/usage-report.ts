/**
 * The usage query on a seeded database (see seed-usage.ts): 30 days by day x model in a non-UTC
 * zone, and the same by hour x API key, timed through UsageService (the SQL and the summing; the
 * GraphQL transport adds its own constant). Prints p50/p95/p99 in milliseconds. Target: p95 <= 100 ms
 * on PostgreSQL at 1,000,000 records.
 *
 * Usage: `DATABASE_URL=postgres://… node -r @swc-node/register bench/usage-report.ts`, or
 * BENCH_EMBEDDED_DIR=<dir> for PGlite (its figures at 100,000 records);
 * BENCH_SEED=N seeds N records into it first, BENCH_RUNS (default 200) sets the repetitions,
 * BENCH_CASES=N runs the first N queries only.
 */
import { performance } from 'node:perf_hooks'
import { UsageService, type UsageGroupValue } from '../server/usage/usage.service'
import { openBenchStore } from './lib/bench-store'
import { fmt, percentile, table } from './lib/stats'
import { seedUsage } from './seed-usage'

const CASES: Array<{ name: string; groupBy: UsageGroupValue[]; timezone: string }> = [
  { name: '30 days, DAY x MODEL, America/New_York', groupBy: ['DAY', 'MODEL'], timezone: 'America/New_York' },
  { name: '30 days, DAY x MODEL x API_KEY, Asia/Kathmandu', groupBy: ['DAY', 'MODEL', 'API_KEY'], timezone: 'Asia/Kathmandu' },
  { name: '30 days, HOUR x API_KEY, Europe/London', groupBy: ['HOUR', 'API_KEY'], timezone: 'Europe/London' },
]

void (async () => {
  const store = await openBenchStore()
  const { dataSource } = store
  const now = new Date()
  const seed = Number(process.env.BENCH_SEED ?? 0)
  if (seed > 0) process.stdout.write(`seeded ${seed} records at ${Math.round(await seedUsage(dataSource, { records: seed, days: 60, now }))} records/s\n`)
  const [{ records }] = (await dataSource.query(`SELECT count(*)::int AS records FROM requests`)) as [{ records: number }]
  const usage = new UsageService(dataSource)
  const runs = Number(process.env.BENCH_RUNS ?? 200)
  // Not on slot boundaries, so the partial slots at both ends are read from requests too.
  const from = new Date(now.getTime() - 30 * 86_400_000 + 123_457)
  const rows: (string | number)[][] = []
  for (const { name, groupBy, timezone } of CASES.slice(0, Number(process.env.BENCH_CASES ?? CASES.length))) {
    const timings: number[] = []
    let buckets = 0
    for (let i = 0; i < runs + 10; i++) {
      const started = performance.now()
      const report = await usage.report(from, now, groupBy, timezone)
      if (i >= 10) timings.push(performance.now() - started) // the first ten warm the caches
      buckets = report.buckets.length
    }
    rows.push([name, buckets, fmt(percentile(timings, 50)), fmt(percentile(timings, 95)), fmt(percentile(timings, 99))])
  }
  process.stdout.write(`\nusage query on ${store.name}, ${records} records, ${runs} runs each\n\n${table(['query', 'buckets', 'p50 ms', 'p95 ms', 'p99 ms'], rows)}\n`)
  await store.close()
})()
