import { readCaptureFigures } from './capture-figures'
import { runLoad, type LoadBodies } from './load'
import { fmt, percentile, table } from './stats'
import { countWhenStored, settledCount } from './stored'
import { turns, type Target } from './target'

/** Requests per target, after a warm-up of 200, sent in `rounds` parts (default 2). */
export interface ThroughputOptions {
  count: number
  concurrency: number
  rounds?: number
}

const WARMUP_COUNT = 200
/** Far enough apart that no conversation of one load has a seed of the other's (see conversationLoad). */
const WARMUP_SEED = 100_000
const MEASURED_SEED = 200_000

/**
 * Loads at a fixed concurrency: sustained rate and its share of the minimal pass-through's,
 * latency, proxy CPU per request during the load and until every record is stored, Claudescope's
 * database CPU per request, and whether every record was stored. Capture that falls behind
 * finishes its work after the load: CPU during the load alone rewards a build whose writer waits
 * longer on its database.
 * `bodies(count, seed)` makes a load's bodies before it starts. Every target is sent the same
 * bodies, the warm-up's and the measured load's from seeds of their own: each Claudescope stores
 * into a database of its own, so none has seen what it is sent, and no target gets cheaper or
 * dearer content than another (which the bench could not tell from a difference of builds).
 *
 * Each target's load is sent in rounds, the targets taking turns (see turns), and its figures
 * are of all its rounds together; its CPU until stored and V8's full collections are also given
 * round by round, where a difference between turns shows (see NO_MEMORY_REDUCER). A conversation load
 * is cut between rounds worker by worker, so its conversations go on where the round before left them.
 */
export async function measureThroughput(targets: Target[], heading: string, bodies: (count: number, seed: number) => LoadBodies, options: ThroughputOptions): Promise<string> {
  const rounds = options.rounds ?? 2
  const warmUp = bodies(WARMUP_COUNT, WARMUP_SEED)
  const loads = inRounds(bodies(options.count, MEASURED_SEED), rounds)
  for (const t of targets) await runLoad(t.url, warmUp)
  const results = new Map<Target, { elapsedS: number; latenciesMs: number[]; cpuS: number; cpuUntilStoredS: number; cpuUntilStoredMsByRound: number[]; majorCollectionsByRound: number[]; databaseCpuS: number; failures: number; stored: number }>()
  for (let round = 0; round < rounds; round++) {
    for await (const t of turns(targets, round)) {
      const load = loads[round]!
      const count = requestsIn(load)
      const r = results.get(t) ?? { elapsedS: 0, latenciesMs: [], cpuS: 0, cpuUntilStoredS: 0, cpuUntilStoredMsByRound: [], majorCollectionsByRound: [], databaseCpuS: 0, failures: 0, stored: 0 }
      results.set(t, r)
      const storedBefore = t.api ? await settledCount(t.api) : 0
      const majorCollectionsBefore = t.kind === 'claudescope' ? (await readCaptureFigures(t.url)).majorCollections : NaN
      const databaseCpuBefore = (await t.databaseCpuSeconds?.()) ?? NaN
      const cpuBefore = t.process?.cpuSeconds() ?? 0
      const result = await runLoad(t.url, load)
      r.cpuS += (t.process?.cpuSeconds() ?? NaN) - cpuBefore
      if (t.api) r.stored += (await countWhenStored(t.api, storedBefore + count)) - storedBefore
      // Until every record is stored: capture's database writes go on after the load when they fall behind.
      r.databaseCpuS += ((await t.databaseCpuSeconds?.()) ?? NaN) - databaseCpuBefore
      const cpuUntilStoredS = (t.process?.cpuSeconds() ?? NaN) - cpuBefore
      r.cpuUntilStoredS += cpuUntilStoredS
      r.cpuUntilStoredMsByRound.push((cpuUntilStoredS * 1000) / count)
      if (t.kind === 'claudescope') r.majorCollectionsByRound.push((await readCaptureFigures(t.url)).majorCollections - majorCollectionsBefore)
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
    t.process ? r.cpuUntilStoredMsByRound.map((ms) => fmt(ms, 2)).join(' / ') : '–',
    t.kind === 'claudescope' ? r.majorCollectionsByRound.join(' / ') : '–',
    t.databaseCpuSeconds ? fmt(perRequestMs(r.databaseCpuS), 3) : '–',
    r.failures,
    t.api ? `${r.stored}/${options.count}` : '–',
  ])
  return `### ${heading}, concurrency ${options.concurrency} (${options.count} requests per target, in ${rounds} rounds)\n\n` +
    table(['target', 'req/s', 'vs minimal pass-through', 'p50 ms', 'p90 ms', 'proxy CPU ms/req', 'proxy CPU ms/req (until stored)', 'the same, by round', 'major collections, by round', 'database CPU ms/req (until stored)', 'failed', 'records stored'], rows)
}

/** `load` cut into `rounds` loads of about equal size, each worker's bodies in their order. */
function inRounds(load: LoadBodies, rounds: number): LoadBodies[] {
  /** Where round `round` starts among `count` items. */
  const start = (round: number, count: number) => Math.floor((round * count) / rounds)
  return Array.from({ length: rounds }, (_, round) => {
    if (!('perWorker' in load)) return { ...load, count: start(round + 1, load.count) - start(round, load.count) }
    return { perWorker: load.perWorker.map((bodies) => bodies.slice(start(round, bodies.length), start(round + 1, bodies.length))) }
  })
}

function requestsIn(load: LoadBodies): number {
  return 'perWorker' in load ? load.perWorker.reduce((sum, bodies) => sum + bodies.length, 0) : load.count
}
