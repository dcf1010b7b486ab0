import { runLoad, messagesBody } from '../lib/load'
import type { BenchProcess } from '../lib/processes'
import type { ProfileWindow } from '../lib/profile'
import { fmt, percentile, table } from '../lib/stats'
import { afterCaptureLands, turns, type Target } from '../lib/target'

export interface LatencyResult {
  report: string
  /** Each measured request's span, by target name: what a profile of the target did meanwhile (see summariseLatencyTail). */
  spans: Map<string, ProfileWindow[]>
}

/**
 * 2 KB non-streaming requests, one at a time. Targets are interleaved in rounds, each round in
 * another order (see turns), so machine noise and a target's place in the order hit them alike;
 * added latency is each target's percentile minus direct's.
 */
export async function latencySmallBody(targets: Target[], options = { rounds: 5, perRound: 400, warmup: 200 }): Promise<LatencyResult> {
  const body = messagesBody(2048)
  const samples = new Map<string, number[]>(targets.map((t) => [t.name, []]))
  const cpu = new Map<string, number>(targets.map((t) => [t.name, 0]))
  const spans = new Map<string, ProfileWindow[]>(targets.map((t) => [t.name, []]))
  for (const t of targets) await runLoad(t.url, { count: options.warmup, concurrency: 1, body })
  for (let round = 0; round < options.rounds; round++) {
    for await (const t of turns(targets, round)) {
      const before = t.process?.cpuSeconds() ?? 0
      const result = await runLoad(t.url, { count: options.perRound, concurrency: 1, body })
      await afterCaptureLands(t)
      cpu.set(t.name, cpu.get(t.name)! + (t.process ? t.process.cpuSeconds() - before : 0))
      samples.get(t.name)!.push(...result.latenciesMs)
      spans.get(t.name)!.push(...result.spans)
    }
  }
  const direct = samples.get(targets[0]!.name)!
  const rows = targets.map((t) => {
    const s = samples.get(t.name)!
    const isProxy = t.process !== undefined
    return [
      t.name,
      fmt(percentile(s, 50), 3),
      fmt(percentile(s, 90), 3),
      isProxy ? fmt(percentile(s, 50) - percentile(direct, 50), 3) : '–',
      isProxy ? fmt(percentile(s, 90) - percentile(direct, 90), 3) : '–',
      isProxy ? fmt((cpu.get(t.name)! * 1000) / s.length, 3) : '–',
    ]
  })
  const report =
    `### 2 KB non-streaming, concurrency 1 (${options.rounds}×${options.perRound} requests per target)\n\n` +
    table(['target', 'p50 ms', 'p90 ms', 'added p50 ms', 'added p90 ms', 'proxy CPU ms/req'], rows)
  return { report, spans }
}

export type { BenchProcess }
