import { runLoad, type LoadBodies } from './load'
import { fmt, percentile, table } from './stats'
import { countWhenStored, settledCount } from './stored'
import { inTurn, type Target } from './target'

/** Requests per target, after a warm-up of 200, sent in `rounds` parts (default 2). */
export interface ThroughputOptions {
  count: number
  concurrency: number
  rounds?: number
}

const WARMUP_COUNT = 200

/**
 * Loads at a fixed concurrency: sustained rate and its share of the minimal pass-through's,
 * latency, proxy CPU per request during the load and until every record is stored, Claudescope's
 * database CPU per request, and whether every record was stored. Capture that falls behind
 * finishes its work after the load: CPU during the load alone rewards a build whose writer waits
 * longer on its database.
 * `bodies(count, seed)` makes a load's bodies before it starts; each target's warm-up and
 * measured load get seeds of their own, so no target sends what another stored already.
 *
 * Each target's load is sent in rounds, the targets taking turns (see inTurn), and its figures
 * are of all its rounds together. A conversation load is cut between rounds worker by worker, so its
 * conversations go on where the round before left them. The order the processes were started in
 * matters more (see run.ts).
 */
export async function measureThroughput(targets: Target[], heading: string, bodies: (count: number, seed: number) => LoadBodies, options: ThroughputOptions): Promise<string> {
  const rounds = options.rounds ?? 2
  const loads = new Map<Target, LoadBodies[]>()
  for (const [i, t] of targets.entries()) {
    await runLoad(t.url, bodies(WARMUP_COUNT, (2 * i + 1) * 100_000))
    loads.set(t, inRounds(bodies(options.count, (2 * i + 2) * 100_000), rounds))
  }
  const results = new Map<Target, { elapsedS: number; latenciesMs: number[]; cpuS: number; cpuUntilStoredS: number; databaseCpuS: number; failures: number; stored: number }>()
  for (let round = 0; round < rounds; round++) {
    for (const t of inTurn(targets, round)) {
      const load = loads.get(t)![round]!
      const count = requestsIn(load)
      const r = results.get(t) ?? { elapsedS: 0, latenciesMs: [], cpuS: 0, cpuUntilStoredS: 0, databaseCpuS: 0, failures: 0, stored: 0 }
      results.set(t, r)
      const storedBefore = t.api ? await settledCount(t.api) : 0
      const databaseCpuBefore = (await t.databaseCpuSeconds?.()) ?? NaN
      const cpuBefore = t.process?.cpuSeconds() ?? 0
      const result = await runLoad(t.url, load)
      r.cpuS += (t.process?.cpuSeconds() ?? NaN) - cpuBefore
      if (t.api) r.stored += (await countWhenStored(t.api, storedBefore + count)) - storedBefore
      // Until every record is stored: capture's database writes go on after the load when they fall behind.
      r.databaseCpuS += ((await t.databaseCpuSeconds?.()) ?? NaN) - databaseCpuBefore
      r.cpuUntilStoredS += (t.process?.cpuSeconds() ?? NaN) - cpuBefore
      r.elapsedS += result.elapsedS
      r.latenciesMs.push(...result.latenciesMs)
      r.failures += result.failures
    }
  }
  const perRequestMs = (seconds: number) => (seconds * 1000) / options.count
  const minimal = [...results].find(([t]) => t.kind === 'minimal')?.[1]
  const minimalRate = minimal === undefined ? NaN : options.count / minimal.elapsedS
  const rows = [...results].map(([t, r]) => [
    t.name,
    fmt(options.count / r.elapsedS, 0),
    t.kind === 'direct' ? '–' : `${fmt((100 * options.count) / r.elapsedS / minimalRate, 0)} %`,
    fmt(percentile(r.latenciesMs, 50), 2),
    fmt(percentile(r.latenciesMs, 90), 2),
    t.process ? fmt(perRequestMs(r.cpuS), 3) : '–',
    t.process ? fmt(perRequestMs(r.cpuUntilStoredS), 3) : '–',
    t.databaseCpuSeconds ? fmt(perRequestMs(r.databaseCpuS), 3) : '–',
    r.failures,
    t.api ? `${r.stored}/${options.count}` : '–',
  ])
  return `### ${heading}, concurrency ${options.concurrency} (${options.count} requests per target, in ${rounds} rounds)\n\n` +
    table(['target', 'req/s', 'vs minimal pass-through', 'p50 ms', 'p90 ms', 'proxy CPU ms/req', 'proxy CPU ms/req (until stored)', 'database CPU ms/req (until stored)', 'failed', 'records stored'], rows)
}

/** `load` cut into `rounds` loads of about equal size, each worker's bodies in their order. */
function inRounds(load: LoadBodies, rounds: number): LoadBodies[] {
  return Array.from({ length: rounds }, (_, round) => {
    const share = (count: number) => Math.floor(((round + 1) * count) / rounds) - Math.floor((round * count) / rounds)
    if (!('perWorker' in load)) return { ...load, count: share(load.count) }
    return { perWorker: load.perWorker.map((bodies) => bodies.slice(Math.floor((round * bodies.length) / rounds), Math.floor(((round + 1) * bodies.length) / rounds))) }
  })
}

function requestsIn(load: LoadBodies): number {
  return 'perWorker' in load ? load.perWorker.reduce((sum, bodies) => sum + bodies.length, 0) : load.count
}
