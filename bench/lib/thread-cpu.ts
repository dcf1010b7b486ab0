import type { ThreadCpuSeconds } from './processes'
import type { Target } from './target'

/** Each proxy's CPU by thread before the run's measured loads (after its warm-up). */
export type ThreadCpuBaseline = Map<Target, ThreadCpuSeconds>

export function threadCpuBaseline(targets: readonly Target[]): ThreadCpuBaseline {
  return new Map(targets.flatMap((t) => (t.process ? [[t, t.process.threadCpuSeconds()] as const] : [])))
}

/**
 * Where each proxy's CPU went over the run's measured loads, since `baseline`: its main thread
 * (the event loop, with the collector's pauses on it) against its other threads (V8's helpers for
 * garbage collection and compiling, libuv's pool, worker threads). What the main thread spends
 * delays forwarding; the rest competes with it for the machine's cores.
 */
export function threadCpuSection(targets: readonly Target[], baseline: ThreadCpuBaseline): string {
  const rows = ["| target | CPU s | main thread s | other threads s | other threads' share |", '| --- | --- | --- | --- | --- |']
  for (const target of targets) {
    const before = baseline.get(target)
    if (!target.process || !before) continue
    const now = target.process.threadCpuSeconds()
    const main = now.mainThread - before.mainThread
    const others = now.otherThreads - before.otherThreads
    const total = main + others
    const share = total > 0 ? `${((100 * others) / total).toFixed(0)} %` : '–'
    rows.push(`| ${target.name} | ${total.toFixed(1)} | ${main.toFixed(1)} | ${others.toFixed(1)} | ${share} |`)
  }
  return "### CPU by thread over the run's measured loads\n\n" + rows.join('\n')
}
