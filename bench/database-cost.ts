/**
 * Where the database's CPU goes under the conversation load, on PostgreSQL: one Claudescope per
 * variant, each on a fresh database, the variant's SQL run once migrations are done (dropping an
 * index, replacing a function), then the `throughput` scenario's bodies. Prints, per variant, the
 * rate, Claudescope's CPU per request during the load and until every record is stored, and its
 * database backends' CPU per request until every record is stored: the difference between
 * variants is what the dropped piece costs.
 *
 * Usage: `npm run build && BENCH_SQL='DROP INDEX contents_search_keys_idx;;DROP INDEX
 * requests_request_body_trgm_idx' node -r @swc-node/register bench/database-cost.ts`. BENCH_SQL
 * holds the variants separated by `;;`, and the database as migrated always runs first;
 * BENCH_SETTINGS (space-separated `NAME=value`) is added to every Claudescope's environment, e.g.
 * `CAPTURE_QUEUE_MAX_BYTES=536870912` to keep the spool out of the figures; BENCH_REQUESTS
 * (default 1600) per variant, after a warm-up of 800; BENCH_DATABASE_URL and BENCH_BUILD as for
 * the bench. BENCH_BODY_BYTES (e.g. 2048) sends the latency scenario's load instead: one body of
 * that size, one request at a time.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Client } from 'pg'
import { createBenchDatabase } from './lib/bench-database'
import { ClaudescopeApi } from './lib/claudescope-api'
import { conversationLoad } from './lib/conversation'
import { BackendCpuWatch, withApplicationName } from './lib/database-cpu'
import { messagesBody, runLoad, type LoadBodies } from './lib/load'
import { claudescopeLine, portLine, startProcess } from './lib/processes'
import { claudescopeEnvironment, environmentOf, npmStartCommand } from './lib/start-command'
import { fmt, table } from './lib/stats'
import { countWhenStored } from './lib/stored'

const CONCURRENCY = 16
const WARM_UP = 800
const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const requests = Math.floor(Number(process.env.BENCH_REQUESTS ?? 1600) / CONCURRENCY) * CONCURRENCY
const variants = ['', ...(process.env.BENCH_SQL ?? '').split(';;').map((sql) => sql.trim()).filter(Boolean)]
const settings = environmentOf((process.env.BENCH_SETTINGS ?? '').split(/\s+/).filter(Boolean), 'BENCH_SETTINGS')
const build = process.env.BENCH_BUILD ?? 'dist'

const bodyBytes = process.env.BENCH_BODY_BYTES === undefined ? null : Number(process.env.BENCH_BODY_BYTES)
if (bodyBytes !== null && !(Number.isInteger(bodyBytes) && bodyBytes > 0)) throw new Error(`BENCH_BODY_BYTES must be a positive number of bytes, not "${process.env.BENCH_BODY_BYTES}"`)

/** The throughput scenario's load (a conversation per worker, bodies growing from 50 KB to 200 KB), or the latency scenario's. */
const loadOf = (count: number, seed: number): LoadBodies =>
  bodyBytes === null ? conversationLoad(count, seed, CONCURRENCY, 200 * 1024) : { count, concurrency: 1, body: messagesBody(bodyBytes) }

async function main() {
  const upstream = await startProcess('upstream', ['bench/upstream.ts'], {}, portLine)
  const start = npmStartCommand()
  const rows: string[][] = []
  try {
    for (const [index, sql] of variants.entries()) {
      const database = await createBenchDatabase(adminUrl)
      if (database === null) throw new Error(`PostgreSQL at ${adminUrl} is unreachable`)
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'claudescope-database-cost-'))
      const applicationName = `claudescope-database-cost-${index}`
      const watch = await BackendCpuWatch.start(adminUrl, applicationName)
      const env = claudescopeEnvironment(start, { dataDir, upstreamUrl: upstream.url, databaseUrl: withApplicationName(database.url, applicationName) }, settings)
      const claudescope = await startProcess('Claudescope', [path.join(build, 'server/main.js')], env, claudescopeLine, start.nodeArgs)
      try {
        if (sql !== '') {
          const client = new Client({ connectionString: database.url })
          await client.connect()
          await client.query(sql).finally(() => client.end())
        }
        const api = new ClaudescopeApi(claudescope.url)
        await runLoad(claudescope.url, loadOf(WARM_UP, 1))
        await countWhenStored(api, WARM_UP)
        const load = loadOf(requests, 100_000)
        const databaseCpuBefore = await watch.cpuSeconds()
        const cpuBefore = claudescope.cpuSeconds()
        const result = await runLoad(claudescope.url, load)
        const cpuMs = ((claudescope.cpuSeconds() - cpuBefore) * 1000) / requests
        const stored = (await countWhenStored(api, WARM_UP + requests)) - WARM_UP
        const databaseCpuMs = ((await watch.cpuSeconds()) - databaseCpuBefore) * 1000 / requests
        const cpuUntilStoredMs = ((claudescope.cpuSeconds() - cpuBefore) * 1000) / requests
        rows.push([sql === '' ? 'as migrated' : `\`${sql}\``, fmt(requests / result.elapsedS, 0), fmt(cpuMs, 3), fmt(cpuUntilStoredMs, 3), fmt(databaseCpuMs, 3), `${stored}/${requests}`])
      } finally {
        await claudescope.stop()
        await watch.stop()
        await database.drop()
        rmSync(dataDir, { recursive: true, force: true })
      }
    }
  } finally {
    await upstream.stop()
  }
  process.stdout.write(table(['database', 'req/s', 'proxy CPU ms/req', 'proxy CPU ms/req (until stored)', 'database CPU ms/req (until stored)', 'records stored'], rows) + '\n')
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
