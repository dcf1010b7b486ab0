/**
 * The request list on a seeded database (see seed-usage.ts): the first page of 50 with a model
 * filter and its `totalCount` (counted exactly up to 10,000, estimated beyond), and a text search
 * over bodies for words of three rarities, timed through RequestsService as the resolvers call it
 * (the GraphQL transport adds its own constant). Prints p50/p95/p99 in milliseconds and the
 * matches found. Targets at 1,000,000 records on PostgreSQL: the model page p95 <= 30 ms, a
 * search p95 <= 300 ms.
 *
 * Usage: `DATABASE_URL=postgres://… node -r @swc-node/register bench/request-list-report.ts`, or
 * BENCH_EMBEDDED_DIR=<dir> for PGlite; BENCH_RUNS (default 100) sets the repetitions.
 */
import { performance } from 'node:perf_hooks'
import { RequestsService } from '../server/requests/requests.service'
import type { RequestFilterValues } from '../server/requests/request-filter'
import { openBenchStore } from './lib/bench-store'
import { fmt, percentile, table } from './lib/stats'
import { SEARCH_WORDS } from './seed-usage'

interface Case {
  name: string
  filter: RequestFilterValues
  /** Asks for totalCount too, as the dashboard's list does. */
  withCount: boolean
}

const CASES: Case[] = [
  { name: 'first 50, one model, totalCount', filter: { models: ['claude-haiku-4-5-20251001'] }, withCount: true },
  { name: 'first 50, rare model (1%), totalCount', filter: { models: ['claude-nova-9'] }, withCount: true },
  ...SEARCH_WORDS.map(([word, rate]) => ({ name: `first 50, search "${word}" (${rate * 100}% of texts)`, filter: { search: word }, withCount: false })),
  { name: 'first 50, search "flamingo_ledger", totalCount', filter: { search: 'flamingo_ledger' }, withCount: true },
  { name: 'first 50, search "KUBERNETESoperator" + one model', filter: { search: 'KUBERNETESoperator', models: ['claude-opus-4-6'] }, withCount: false },
]

void (async () => {
  const store = await openBenchStore()
  const requests = new RequestsService(store.dataSource)
  const [{ records }] = (await store.dataSource.query(`SELECT count(*)::int AS records FROM requests`)) as [{ records: number }]
  const runs = Number(process.env.BENCH_RUNS ?? 100)
  const rows: (string | number)[][] = []
  for (const { name, filter, withCount } of CASES) {
    const timings: number[] = []
    let found = ''
    for (let i = 0; i < runs + 5; i++) {
      const started = performance.now()
      const [page, count] = await Promise.all([requests.list(filter, 50), withCount ? requests.countBounded(filter) : null])
      if (i >= 5) timings.push(performance.now() - started) // the first five warm the caches
      found = `${page.nodes.length}${count ? `, total ${count.isEstimate ? '~' : ''}${count.count}` : ''}`
    }
    rows.push([name, found, fmt(percentile(timings, 50)), fmt(percentile(timings, 95)), fmt(percentile(timings, 99))])
  }
  process.stdout.write(`\nrequest list on ${store.name}, ${records} records, ${runs} runs each\n\n${table(['query', 'found', 'p50 ms', 'p95 ms', 'p99 ms'], rows)}\n`)
  await store.close()
})()
