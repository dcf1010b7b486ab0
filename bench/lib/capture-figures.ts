import type { Target } from './target'

/** Counters of /metrics that say how capture kept up: each a total since the process started. */
const COUNTERS = {
  written: 'claudescope_capture_written_total',
  spilled: 'claudescope_capture_spilled_total',
  replayed: 'claudescope_capture_replayed_total',
  dropped: 'claudescope_capture_dropped_total',
  batches: 'claudescope_db_write_seconds_count',
  batchSeconds: 'claudescope_db_write_seconds_sum',
} as const

type CaptureFigures = Record<keyof typeof COUNTERS, number>

async function readCaptureFigures(url: string): Promise<CaptureFigures> {
  const text = await (await fetch(new URL('/metrics', url))).text()
  const figures = {} as CaptureFigures
  for (const [key, name] of Object.entries(COUNTERS) as [keyof typeof COUNTERS, string][]) {
    const line = text.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'))
    figures[key] = line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return figures
}

/** Each Claudescope's database CPU seconds before the run's loads, to count what they cost it. */
export async function databaseCpuAtStart(targets: readonly Target[]): Promise<Map<Target, number>> {
  return new Map(await Promise.all(targets.flatMap((t) => (t.databaseCpuSeconds ? [t.databaseCpuSeconds().then((s) => [t, s] as const)] : []))))
}

/**
 * How capture kept up with the load of the run, per Claudescope target: records written, records
 * that went through the disk spool (each costs an encode, a file write, a read and a decode on top
 * of its database write), the database batches' count and mean time, and the CPU the database
 * spent since `cpuAtStart` (see `databaseCpuAtStart`).
 */
export async function captureFiguresSection(targets: readonly Target[], cpuAtStart: ReadonlyMap<Target, number>): Promise<string> {
  const rows = ['| target | written | spilled to disk | replayed | dropped | batches | mean batch ms | database CPU s |', '| --- | --- | --- | --- | --- | --- | --- | --- |']
  for (const target of targets.filter((t) => t.kind === 'claudescope')) {
    const f = await readCaptureFigures(target.url)
    const meanMs = f.batches === 0 ? 0 : (f.batchSeconds / f.batches) * 1000
    const databaseCpuS = ((await target.databaseCpuSeconds?.()) ?? NaN) - (cpuAtStart.get(target) ?? NaN)
    rows.push(`| ${target.name} | ${f.written} | ${f.spilled} | ${f.replayed} | ${f.dropped} | ${f.batches} | ${meanMs.toFixed(1)} | ${databaseCpuS.toFixed(1)} |`)
  }
  return '### Capture under the run\'s load\n\n' + rows.join('\n')
}
