/**
 * Benchmarks Claudescope against a direct connection, a raw TCP relay (the cost of one more
 * process hop) and a minimal HTTP pass-through, in one run: the proxy's overhead must stay small
 * against both. Usage: `npm run bench`
 * (builds first). Results print as markdown and are saved to bench/results/. Figures are for
 * issue notes and the README, never for timed tests.
 *
 * Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) for the
 * PostgreSQL target; it is skipped when unreachable. BENCH_QUICK=1 runs a shorter version.
 * BENCH_SCENARIOS (a comma list of latency, throughput, streams, storage, and throughput-200kb
 * and throughput-screenshots, which are not run by default) and BENCH_BACKENDS (pglite, postgres)
 * narrow a run, for quick comparisons while working on one figure. BENCH_BUILDS (a comma list of
 * build folders inside the project, default `dist`) runs several builds side by side, to try a
 * change to a hot path against the build before it (`cp -r dist bench/builds/before`); list each
 * build twice, in both orders (`bench/builds/before,dist,dist,bench/builds/before`), so what is
 * left of a difference between turns falls on both alike. Every process runs without V8's memory
 * reducer, and the shared PostgreSQL server writes out its dirty buffers before each turn:
 * otherwise a target paid for its place in the list (see NO_MEMORY_REDUCER and checkpoint).
 * BENCH_PROFILE=1 runs Claudescope under `--cpu-prof` (a sample every 100 µs) and prints where each
 * one's time went while the scenarios ran, and, with the latency scenario, what it did during the
 * slowest tenth of its requests; narrow the scenarios to profile one load (the processes serve them all).
 * BENCH_SETTINGS (space-separated `NAME=value` pairs, e.g. `CAPTURE_QUEUE_MAX_BYTES=16777216`) is
 * added to every Claudescope's environment, to measure a setting before changing its default.
 * BENCH_VARIANTS (such lists separated by `;`, an empty one for the environment as `npm start`
 * gives it) starts one Claudescope per list, side by side in the same run: the machine's drift
 * between runs is larger than most settings' effect. A word of a list that starts with `--` is a
 * node flag, added after `npm start`'s (e.g. `--heap-growing-percent=50`).
 * BENCH_STORED_TIMEOUT_MS (default 120000) bounds how long a throughput round waits for its
 * records to be stored: a few seconds for a build patched to store nothing, which measures what
 * recording costs the proxy without its database.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { checkpoint, createBenchDatabase, type BenchDatabase } from './lib/bench-database'
import { captureBaseline, captureFiguresSection } from './lib/capture-figures'
import { ClaudescopeApi } from './lib/claudescope-api'
import { BackendCpuWatch, withApplicationName } from './lib/database-cpu'
import { MemoryWatch } from './lib/memory'
import { claudescopeLine, portLine, startProcess, type BenchProcess } from './lib/processes'
import { monotonicUs, summariseLatencyTail, summariseProfile, type ProfileWindow } from './lib/profile'
import { claudescopeEnvironment, environmentOf, npmStartCommand } from './lib/start-command'
import { settledCount } from './lib/stored'
import { threadCpuBaseline, threadCpuSection } from './lib/thread-cpu'
import { warmUp } from './lib/warm-up'
import type { Target } from './lib/target'
import { latencySmallBody } from './scenarios/latency-small-body'
import { storageConversation } from './scenarios/storage-conversation'
import { stream32Concurrent } from './scenarios/stream-32-concurrent'
import { throughput200kb } from './scenarios/throughput-200kb'
import { throughputConversations } from './scenarios/throughput-conversations'
import { throughputScreenshots } from './scenarios/throughput-screenshots'

const quick = process.env.BENCH_QUICK === '1'
const scenarios = new Set((process.env.BENCH_SCENARIOS ?? 'latency,throughput,streams,storage').split(','))
const backends = new Set((process.env.BENCH_BACKENDS ?? 'pglite,postgres').split(','))
const builds = (process.env.BENCH_BUILDS ?? 'dist').split(',')
const profiling = process.env.BENCH_PROFILE === '1'
/** Fine enough to see inside a 2 KB request of half a millisecond (V8's default is 1 ms). */
const PROFILE_INTERVAL_US = 100
const settings = environmentOf((process.env.BENCH_SETTINGS ?? '').split(/\s+/).filter(Boolean), 'BENCH_SETTINGS')
/** Each variant's settings, added after BENCH_SETTINGS, and node flags; one empty variant when none is given. */
const variants = (process.env.BENCH_VARIANTS ?? '').split(';').map((list) => {
  const words = list.split(/\s+/).filter(Boolean)
  const isFlag = (word: string) => word.startsWith('--')
  return { label: list.trim(), env: environmentOf(words.filter((w) => !isFlag(w)), 'BENCH_VARIANTS'), nodeArgs: words.filter(isFlag) }
})
const pgAdminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
/** As `npm start` runs it: its malloc settings and heap flags. */
const start = npmStartCommand()
const runStamp = new Date().toISOString().replace(/[:.]/g, '-')
const resultsDir = path.join(__dirname, 'results')

async function main() {
  const started: BenchProcess[] = []
  const dataDirs: string[] = []
  const profiles: { name: string; dir: string; process: BenchProcess }[] = []
  const backendWatches: BackendCpuWatch[] = []
  // Each Claudescope on PostgreSQL gets a database of its own: builds side by side may differ in schema.
  const databases: BenchDatabase[] = []
  const ownDatabase = async () => {
    const db = await createBenchDatabase(pgAdminUrl)
    if (db !== null) databases.push(db)
    return db?.url
  }
  try {
    const upstream = await startProcess('upstream', ['bench/upstream.ts'], {}, portLine)
    started.push(upstream)
    const relay = await startProcess('raw TCP relay', ['bench/tcp-relay.ts'], { UPSTREAM: upstream.url }, portLine)
    started.push(relay)
    const minimal = await startProcess('minimal pass-through', ['bench/minimal-proxy.ts'], { UPSTREAM: upstream.url }, portLine)
    started.push(minimal)

    // A build or variant listed twice (to see how far identical processes differ) gets a second name.
    const namesTaken = new Map<string, number>()
    const claudescope = async (build: string, variant: (typeof variants)[number], backend: string, databaseUrl?: string) => {
      const qualifiers = [...(builds.length > 1 ? [build] : []), ...(variants.length > 1 ? [`[${variant.label || 'as npm start'}]`] : [])]
      const baseName = ['Claudescope', ...qualifiers, `(${backend})`].join(' ')
      const copies = (namesTaken.get(baseName) ?? 0) + 1
      namesTaken.set(baseName, copies)
      const name = copies === 1 ? baseName : `${baseName} #${copies}`
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'claudescope-bench-'))
      dataDirs.push(dataDir)
      // Each one's connections carry a name of their own, by which its backends are found.
      const applicationName = `claudescope-bench-${backendWatches.length}`
      const backendWatch = databaseUrl === undefined ? undefined : await BackendCpuWatch.start(pgAdminUrl, applicationName)
      if (backendWatch) backendWatches.push(backendWatch)
      const env = claudescopeEnvironment(start, { dataDir, upstreamUrl: upstream.url, databaseUrl: databaseUrl === undefined ? '' : withApplicationName(databaseUrl, applicationName) }, { ...settings, ...variant.env })
      const profileDir = path.join(resultsDir, 'profiles', runStamp, name.replace(/\W+/g, ' ').trim().replace(/ /g, '-').toLowerCase())
      const p = await startProcess(name, [path.join(build, 'server/main.js')], env, claudescopeLine, [...start.nodeArgs, ...variant.nodeArgs, ...(profiling ? ['--cpu-prof', `--cpu-prof-interval=${PROFILE_INTERVAL_US}`, `--cpu-prof-dir=${profileDir}`] : [])])
      started.push(p)
      if (profiling) profiles.push({ name, dir: profileDir, process: p })
      const databaseCpuSeconds = backendWatch ? () => backendWatch.cpuSeconds() : async () => p.descendantsCpuSeconds()
      return { name, kind: 'claudescope', url: p.url, process: p, api: new ClaudescopeApi(p.url), databaseCpuSeconds } satisfies Target
    }

    const targets: Target[] = [
      { name: 'direct', kind: 'direct', url: upstream.url },
      { name: 'raw TCP relay', kind: 'relay', url: relay.url, process: relay },
      { name: 'minimal pass-through', kind: 'minimal', url: minimal.url, process: minimal },
    ]
    for (const build of builds) {
      for (const variant of variants) {
        if (backends.has('pglite')) targets.push(await claudescope(build, variant, 'PGlite'))
        const databaseUrl = backends.has('postgres') ? await ownDatabase() : undefined
        if (databaseUrl !== undefined) targets.push(await claudescope(build, variant, 'PostgreSQL', databaseUrl))
      }
    }

    // Each turn starts with the shared server's buffers clean, whoever wrote them.
    if (databases.length > 0) for (const t of targets) t.beforeTurn = () => checkpoint(pgAdminUrl)

    const sections = [
      `## Claudescope benchmark — ${new Date().toISOString()}`,
      `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}${quick ? ' (quick run)' : ''}`,
    ]
    const log = (s: string) => {
      sections.push(s)
      process.stdout.write(s + '\n\n')
    }
    // Idle: each process as it started, on a fresh DATA_DIR (or database), before any load.
    const memory = new MemoryWatch(targets.flatMap((t) => t.process ?? []), 'warm-up')
    // Each scenario starts once every Claudescope has stored what the one before sent: a backlog
    // still being written would weigh on the next scenario's first target (and, on one shared
    // PostgreSQL database, on every target).
    const settled = () => Promise.all(targets.flatMap((t) => (t.api ? [settledCount(t.api)] : [])))
    /** Runs a scenario the run asks for, once the one before has settled, as a phase of its own in the memory table. */
    const runScenario = async <T>(name: string, run: () => Promise<T>): Promise<T | null> => {
      if (!scenarios.has(name)) return null
      await settled()
      memory.enter(name)
      return run()
    }
    const logScenario = async (name: string, run: () => Promise<string>) => {
      const report = await runScenario(name, run)
      if (report !== null) log(report)
    }
    log(await warmUp(targets, quick ? { rounds: 4 } : undefined))
    await settled()
    const baseline = await captureBaseline(targets)
    const threadBaseline = threadCpuBaseline(targets)
    const window: ProfileWindow = { fromUs: monotonicUs(), toUs: 0 }
    const latency = await runScenario('latency', () => latencySmallBody(targets, quick ? { rounds: 2, perRound: 200, warmup: 100 } : undefined))
    if (latency) log(latency.report)
    await logScenario('throughput', () => throughputConversations(targets, quick ? { count: 800, concurrency: 16, maxBytes: 200 * 1024 } : undefined))
    await logScenario('throughput-200kb', () => throughput200kb(targets, quick ? { count: 800, concurrency: 16 } : undefined))
    await logScenario('throughput-screenshots', () => throughputScreenshots(targets, quick ? { count: 100, concurrency: 4, screenshotEvery: 5, screenshotBytes: 400 * 1024, maxBytes: 3 * 1024 * 1024 } : undefined))
    await logScenario('streams', () => stream32Concurrent(targets, quick ? { streams: 32, events: 50, intervalMs: 5, rounds: 1 } : undefined))
    await logScenario('storage', () => storageConversation(targets, quick ? { turns: 60, prefixBytes: 50 * 1024, turnBytes: 2048 } : undefined))
    window.toUs = monotonicUs()
    log(await captureFiguresSection(targets, baseline))
    log(threadCpuSection(targets, threadBaseline))
    log('### Memory: RSS of each process with its children (Claudescope\'s embedded database among them)\n\n' + memory.finish())

    // A profile is written when the process exits: stop the profiled ones first.
    for (const { name, dir, process: p } of profiles) {
      await p.stop()
      const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')) : []
      const heading = `### Profile of ${name}, main process, while the scenarios ran`
      if (files.length === 0) {
        log(`${heading}\n\n**No profile written** in ${path.relative(process.cwd(), dir)}: the process did not exit cleanly on SIGTERM.`)
        continue
      }
      const file = path.join(dir, files[0]!)
      log(`${heading} (${path.relative(process.cwd(), file)})\n\n${summariseProfile(file, window)}`)
      const requests = latency?.spans.get(name)
      if (requests) log(`### ${name} during the 2 KB requests at concurrency 1: the slowest tenth against the middle fifth\n\n${summariseLatencyTail(file, requests)}`)
    }

    mkdirSync(resultsDir, { recursive: true })
    const file = path.join(resultsDir, `${runStamp}.md`)
    writeFileSync(file, sections.join('\n\n') + '\n')
    process.stdout.write(`Saved ${path.relative(process.cwd(), file)}\n`)
  } finally {
    for (const p of started.reverse()) await p.stop()
    for (const watch of backendWatches) await watch.stop()
    for (const db of databases) await db.drop()
    for (const d of dataDirs) rmSync(d, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  process.stderr.write(String((err as Error).stack ?? err) + '\n')
  process.exit(1)
})
