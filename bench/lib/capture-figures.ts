import type { Target } from './target'

/**
 * Counters of /metrics that say how capture kept up: each a total since the process started, of
 * all its series or of the one its labels name.
 */
const COUNTERS = {
  written: 'claudescope_capture_written_total',
  spilled: 'claudescope_capture_spilled_total',
  spilledQueueFull: 'claudescope_capture_spilled_total{reason="queue_full"}',
  spilledStalled: 'claudescope_capture_spilled_total{reason="database_stalled"}',
  replayed: 'claudescope_capture_replayed_total',
  dropped: 'claudescope_capture_dropped_total',
  batches: 'claudescope_db_write_seconds_count',
  batchSeconds: 'claudescope_db_write_seconds_sum',
  /** V8's full collections of the main process (see NO_MEMORY_REDUCER in processes.ts). */
  majorCollections: 'claudescope_nodejs_gc_duration_seconds_count{kind="major"}',
} as const

type CaptureFigures = Record<keyof typeof COUNTERS, number>

export async function readCaptureFigures(url: string): Promise<CaptureFigures> {
  const text = await (await fetch(new URL('/metrics', url))).text()
  const figures = {} as CaptureFigures
  const lines = text.split('\n')
  for (const [key, series] of Object.entries(COUNTERS) as [keyof typeof COUNTERS, string][]) {
    const matches = series.endsWith('}') ? (l: string) => l.startsWith(series + ' ') : (l: string) => l.startsWith(series + ' ') || l.startsWith(series + '{')
    figures[key] = lines.filter(matches).reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0)
  }
  return figures
}

/** What each Claudescope's capture and database had done before the run's measured loads (its warm-up), to count only what these cost. */
export interface CaptureBaseline {
  figures: Map<Target, CaptureFigures>
  databaseCpuSeconds: Map<Target, number>
}

export async function captureBaseline(targets: readonly Target[]): Promise<CaptureBaseline> {
  const claudescopes = targets.filter((t) => t.kind === 'claudescope')
  const figures = new Map(await Promise.all(claudescopes.map(async (t) => [t, await readCaptureFigures(t.url)] as const)))
  const databaseCpuSeconds = new Map(await Promise.all(claudescopes.flatMap((t) => (t.databaseCpuSeconds ? [t.databaseCpuSeconds().then((s) => [t, s] as const)] : []))))
  return { figures, databaseCpuSeconds }
}

/**
 * How capture kept up with the load of the run, per Claudescope target, since `baseline`: records
 * written, records that went through the disk spool (each costs an encode, a file write, a read and
 * a decode on top of its database write) and why (the queue was full, or a database write hung),
 * the database batches' count and mean time, the CPU the database spent, and V8's full collections.
 */
export async function captureFiguresSection(targets: readonly Target[], baseline: CaptureBaseline): Promise<string> {
  const rows = ['| target | written | spilled to disk (queue full / write hung) | replayed | dropped | batches | mean batch ms | database CPU s | major collections |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- |']
  for (const target of targets.filter((t) => t.kind === 'claudescope')) {
    const now = await readCaptureFigures(target.url)
    const before = baseline.figures.get(target)
    const f = Object.fromEntries(Object.entries(now).map(([key, value]) => [key, value - (before?.[key as keyof CaptureFigures] ?? 0)])) as CaptureFigures
    const meanMs = f.batches === 0 ? 0 : (f.batchSeconds / f.batches) * 1000
    const databaseCpuS = ((await target.databaseCpuSeconds?.()) ?? NaN) - (baseline.databaseCpuSeconds.get(target) ?? NaN)
    rows.push(`| ${target.name} | ${f.written} | ${f.spilled} (${f.spilledQueueFull} / ${f.spilledStalled}) | ${f.replayed} | ${f.dropped} | ${f.batches} | ${meanMs.toFixed(1)} | ${databaseCpuS.toFixed(1)} | ${f.majorCollections} |`)
  }
  return '### Capture under the run\'s measured loads (after the warm-up)\n\n' + rows.join('\n')
}
