import { runLoad, type LoadBodies } from './load'
import { fmt, percentile, table } from './stats'
import { countWhenStored, settledCount } from './stored'
import type { Target } from './target'

/** Requests per target, after a warm-up of 200. */
export interface ThroughputOptions {
  count: number
  concurrency: number
}

const WARMUP_COUNT = 200

/**
 * Loads at a fixed concurrency, target after target: sustained rate and its share of the minimal
 * pass-through's, latency, proxy CPU per request during the load and until every record is
 * stored, Claudescope's database CPU per request, and whether every record was stored. Capture
 * that falls behind finishes its work after the load: CPU during the load alone rewards a build
 * whose writer waits longer on its database.
 * `bodies(count, seed)` makes a load's bodies before it starts; each target's warm-up and
 * measured load get seeds of their own, so no target sends what another stored already.
 */
export async function measureThroughput(targets: Target[], heading: string, bodies: (count: number, seed: number) => LoadBodies, options: ThroughputOptions): Promise<string> {
  const results = new Map<Target, { reqPerS: number; p50: number; p90: number; cpuMsPerReq: number; cpuUntilStoredMsPerReq: number; databaseCpuMsPerReq: number; failures: number; stored: string }>()
  for (const [i, t] of targets.entries()) {
    await runLoad(t.url, bodies(WARMUP_COUNT, (2 * i + 1) * 100_000))
    const load = bodies(options.count, (2 * i + 2) * 100_000)
    const storedBefore = t.api ? await settledCount(t.api) : 0
    const databaseCpuBefore = (await t.databaseCpuSeconds?.()) ?? NaN
    const cpuBefore = t.process?.cpuSeconds() ?? 0
    const result = await runLoad(t.url, load)
    const cpuMsPerReq = t.process ? ((t.process.cpuSeconds() - cpuBefore) * 1000) / options.count : NaN
    const stored = t.api ? `${(await countWhenStored(t.api, storedBefore + options.count)) - storedBefore}/${options.count}` : '–'
    // Until every record is stored: capture's database writes go on after the load when they fall behind.
    const databaseCpuMsPerReq = (((await t.databaseCpuSeconds?.()) ?? NaN) - databaseCpuBefore) * 1000 / options.count
    const cpuUntilStoredMsPerReq = t.process ? ((t.process.cpuSeconds() - cpuBefore) * 1000) / options.count : NaN
    results.set(t, { reqPerS: options.count / result.elapsedS, p50: percentile(result.latenciesMs, 50), p90: percentile(result.latenciesMs, 90), cpuMsPerReq, cpuUntilStoredMsPerReq, databaseCpuMsPerReq, failures: result.failures, stored })
  }
  const minimal = [...results].find(([t]) => t.kind === 'minimal')?.[1].reqPerS ?? NaN
  const rows = [...results].map(([t, r]) => [
    t.name,
    fmt(r.reqPerS, 0),
    t.kind === 'direct' ? '–' : `${fmt((100 * r.reqPerS) / minimal, 0)} %`,
    fmt(r.p50, 2),
    fmt(r.p90, 2),
    t.process ? fmt(r.cpuMsPerReq, 3) : '–',
    t.process ? fmt(r.cpuUntilStoredMsPerReq, 3) : '–',
    t.databaseCpuSeconds ? fmt(r.databaseCpuMsPerReq, 3) : '–',
    r.failures,
    r.stored,
  ])
  return `### ${heading}, concurrency ${options.concurrency} (${options.count} requests per target)\n\n` +
    table(['target', 'req/s', 'vs minimal pass-through', 'p50 ms', 'p90 ms', 'proxy CPU ms/req', 'proxy CPU ms/req (until stored)', 'database CPU ms/req (until stored)', 'failed', 'records stored'], rows)
}
