/**
 * Benchmarks Claudescope against a direct connection, a raw TCP relay (the cost of one more
 * process hop) and a minimal HTTP pass-through, in one run: the proxy's overhead must stay small
 * against both. Usage: `npm run bench`
 * (builds first). Results print as markdown and are saved to bench/results/. Figures are for
 * issue notes and the README, never for timed tests.
 *
 * Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) for the
 * PostgreSQL target; it is skipped when unreachable. BENCH_QUICK=1 runs a shorter version.
 * BENCH_SCENARIOS (a comma list of latency, throughput, streams) and BENCH_BACKENDS (pglite,
 * postgres) narrow a run, for quick comparisons while working on one figure. BENCH_BUILDS (a
 * comma list of build folders inside the project, default `dist`) runs several builds side by
 * side, to try a change to a hot path against the build before it (`cp -r dist bench/builds/before`).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Client } from 'pg'
import { claudescopeLine, portLine, startProcess, type BenchProcess } from './lib/processes'
import { fmt, table } from './lib/stats'
import type { Target } from './lib/target'
import { latencySmallBody } from './scenarios/latency-small-body'
import { stream32Concurrent } from './scenarios/stream-32-concurrent'
import { throughput200kb } from './scenarios/throughput-200kb'

const quick = process.env.BENCH_QUICK === '1'
const scenarios = new Set((process.env.BENCH_SCENARIOS ?? 'latency,throughput,streams').split(','))
const backends = new Set((process.env.BENCH_BACKENDS ?? 'pglite,postgres').split(','))
const builds = (process.env.BENCH_BUILDS ?? 'dist').split(',')
const pgAdminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

async function storedCount(url: string): Promise<number> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ requests(first: 1) { totalCount } }' }) })
  const json = (await res.json()) as { data?: { requests: { totalCount: number } } }
  return json.data?.requests.totalCount ?? 0
}

async function createBenchDatabase(): Promise<{ url: string; drop(): Promise<void> } | null> {
  const admin = new Client({ connectionString: pgAdminUrl })
  try {
    await admin.connect()
  } catch {
    process.stderr.write(`PostgreSQL at ${pgAdminUrl} unreachable: skipping the PostgreSQL target\n`)
    return null
  }
  const name = `claudescope_bench_${Date.now()}`
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(pgAdminUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      const c = new Client({ connectionString: pgAdminUrl })
      await c.connect()
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await c.end()
    },
  }
}

async function main() {
  const started: BenchProcess[] = []
  const dataDirs: string[] = []
  const pg = backends.has('postgres') ? await createBenchDatabase() : null
  try {
    const upstream = await startProcess('upstream', ['bench/upstream.ts'], {}, portLine)
    started.push(upstream)
    const relay = await startProcess('raw TCP relay', ['bench/tcp-relay.ts'], { UPSTREAM: upstream.url }, portLine)
    started.push(relay)
    const minimal = await startProcess('minimal pass-through', ['bench/minimal-proxy.ts'], { UPSTREAM: upstream.url }, portLine)
    started.push(minimal)

    const claudescope = async (build: string, backend: string, databaseUrl?: string) => {
      const name = builds.length > 1 ? `Claudescope ${build} (${backend})` : `Claudescope (${backend})`
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'claudescope-bench-'))
      dataDirs.push(dataDir)
      const env: Record<string, string> = { PORT: '0', DATA_DIR: dataDir, ANTHROPIC_FORWARD_URL: upstream.url, LOG_LEVEL: 'info', DATABASE_URL: databaseUrl ?? '' }
      const p = await startProcess(name, [path.join(build, 'server/main.js')], env, claudescopeLine)
      started.push(p)
      return { name, url: p.url, process: p, storedCount: () => storedCount(p.url) } satisfies Target
    }

    const targets: Target[] = [
      { name: 'direct', url: upstream.url },
      { name: 'raw TCP relay', url: relay.url, process: relay },
      { name: 'minimal pass-through', url: minimal.url, process: minimal },
    ]
    for (const build of builds) {
      if (backends.has('pglite')) targets.push(await claudescope(build, 'PGlite'))
      // Builds share the database: stored counts are read as differences, before and after each load.
      if (pg) targets.push(await claudescope(build, 'PostgreSQL', pg.url))
    }

    const sections = [
      `## Claudescope benchmark — ${new Date().toISOString()}`,
      `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}${quick ? ' (quick run)' : ''}`,
    ]
    const log = (s: string) => {
      sections.push(s)
      process.stdout.write(s + '\n\n')
    }
    if (scenarios.has('latency')) log(await latencySmallBody(targets, quick ? { rounds: 2, perRound: 200, warmup: 100 } : undefined))
    if (scenarios.has('throughput')) log(await throughput200kb(targets, quick ? { count: 800, concurrency: 16 } : undefined))
    if (scenarios.has('streams')) log(await stream32Concurrent(targets, quick ? { streams: 32, events: 50, intervalMs: 5, rounds: 1 } : undefined))
    const memoryRows = targets.filter((t) => t.process).map((t) => {
      const own = t.process!.rssMiB()
      const below = t.process!.descendantsRssMiB()
      return [t.name, fmt(own, 0), fmt(below, 0), fmt(own + below, 0)]
    })
    log('### Memory after the run\n\n' + table(['process', 'RSS MiB', 'its children MiB', 'tree MiB'], memoryRows))

    mkdirSync(path.join(__dirname, 'results'), { recursive: true })
    const file = path.join(__dirname, 'results', `${new Date().toISOString().replace(/[:.]/g, '-')}.md`)
    writeFileSync(file, sections.join('\n\n') + '\n')
    process.stdout.write(`Saved ${path.relative(process.cwd(), file)}\n`)
  } finally {
    for (const p of started.reverse()) await p.stop()
    await pg?.drop()
    for (const d of dataDirs) rmSync(d, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  process.stderr.write(String((err as Error).stack ?? err) + '\n')
  process.exit(1)
})
