/**
 * Storage once the indexes have settled, on PostgreSQL. The `storage` scenario of `bench/run.ts`
 * reads relation sizes as they stand, and a GIN index holds new entries in a pending list of up to
 * 4 MB before merging them into its tree, reusing the pages of earlier lists: what a session adds
 * then depends on what came before it more than on the session. Here one Claudescope on a fresh
 * database takes BENCH_SESSIONS (default 2) sessions of 200 turns, as the `storage` scenario
 * sends them; then VACUUM merges the pending lists and records the pages they freed, and the bytes
 * in use (each relation's size less its free space, from pg_freespacemap) are divided among the
 * sessions' request bodies.
 *
 * Usage: `npm run build && node -r @swc-node/register bench/storage-settled.ts`; BENCH_DATABASE_URL
 * as for the bench (the database server must offer the pg_freespacemap extension), BENCH_BUILD
 * (default `dist`) to measure another build.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Client } from 'pg'
import { createBenchDatabase } from './lib/bench-database'
import { ClaudescopeApi } from './lib/claudescope-api'
import { Conversation } from './lib/conversation'
import { runLoad } from './lib/load'
import { claudescopeLine, portLine, startProcess, type BenchProcess } from './lib/processes'
import { claudescopeEnvironment, npmStartCommand } from './lib/start-command'
import { fmt, table } from './lib/stats'
import { countWhenStored } from './lib/stored'

const MiB = 1024 * 1024
const sessions = Number(process.env.BENCH_SESSIONS ?? 2)
const turns = 200
const build = process.env.BENCH_BUILD ?? 'dist'
const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/** Bytes in use of every table, index and TOAST relation, by name: its size less the free space its map records. */
async function bytesInUse(db: Client): Promise<Map<string, number>> {
  const rows = (
    await db.query<{ name: string; bytes: string }>(
      `SELECT coalesce(owner.relname || ' (TOAST)', c.relname) AS name, pg_relation_size(c.oid) - coalesce((SELECT sum(avail) FROM pg_freespace(c.oid)), 0) AS bytes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_class owner ON owner.reltoastrelid = c.oid
       WHERE n.nspname IN ('public', 'pg_toast') AND c.relkind IN ('r', 'i', 't') AND NOT (n.nspname = 'pg_toast' AND c.relkind = 'i')`,
    )
  ).rows
  return new Map(rows.map((row) => [row.name, Number(row.bytes)]))
}

async function main() {
  const database = await createBenchDatabase(adminUrl)
  if (database === null) throw new Error(`PostgreSQL at ${adminUrl} is unreachable`)
  const started: BenchProcess[] = []
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'claudescope-bench-'))
  const db = new Client({ connectionString: database.url })
  let connected = false
  try {
    const upstream = await startProcess('upstream', ['bench/upstream.ts'], {}, portLine)
    started.push(upstream)
    const start = npmStartCommand()
    const env = claudescopeEnvironment(start, { dataDir, upstreamUrl: upstream.url, databaseUrl: database.url })
    const claudescope = await startProcess('Claudescope', [path.join(build, 'server/main.js')], env, claudescopeLine, start.nodeArgs)
    started.push(claudescope)
    await db.connect()
    connected = true
    await db.query('CREATE EXTENSION IF NOT EXISTS pg_freespacemap')
    await db.query('VACUUM')
    const before = await bytesInUse(db)
    const api = new ClaudescopeApi(claudescope.url)
    let sentBytes = 0
    for (let session = 0; session < sessions; session++) {
      const conversation = new Conversation({ seed: 42 + session, prefixBytes: 50 * 1024, turnBytes: 2048, stream: true })
      const bodies = Array.from({ length: turns }, () => conversation.next())
      sentBytes += bodies.reduce((sum, body) => sum + body.length, 0)
      const load = await runLoad(claudescope.url, { perWorker: [bodies], headers: { 'x-bench-events': '10', 'x-bench-interval-ms': '1' } })
      if (load.failures > 0) throw new Error(`${load.failures} requests failed`)
      const stored = await countWhenStored(api, (session + 1) * turns)
      if (stored !== (session + 1) * turns) throw new Error(`${stored} of ${(session + 1) * turns} records stored`)
    }
    await db.query('VACUUM')
    const after = await bytesInUse(db)
    const grown = [...after].map(([name, bytes]) => [name, bytes - (before.get(name) ?? 0)] as const).filter(([, bytes]) => bytes > 0).sort((a, b) => b[1] - a[1])
    const total = grown.reduce((sum, [, bytes]) => sum + bytes, 0)
    process.stdout.write(
      [
        `### Storage once the indexes have settled: ${sessions} sessions of ${turns} turns (50 KB prefix, about 2 KB new per turn), PostgreSQL, ${build}`,
        `Bodies sent: ${fmt(sentBytes / MiB, 1)} MiB. In use after VACUUM: ${fmt(total / MiB, 2)} MiB more than before, ${fmt((100 * total) / sentBytes, 2)} % of the bodies sent.`,
        table(['relation', 'MiB in use', 'share of bodies sent'], grown.filter(([, bytes]) => bytes >= 16 * 1024).map(([name, bytes]) => [name, fmt(bytes / MiB, 3), `${fmt((100 * bytes) / sentBytes, 2)} %`])),
      ].join('\n\n') + '\n',
    )
  } finally {
    if (connected) await db.end()
    for (const p of started.reverse()) await p.stop()
    await database.drop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exit(1)
})
