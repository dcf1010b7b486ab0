import type { ClaudescopeApi } from './claudescope-api'
import type { BenchProcess } from './processes'

/** Something the benchmark sends traffic to: the upstream itself (direct) or a proxy in front of it. */
export interface Target {
  name: string
  /** `minimal` is the floor every ratio is taken against: a plain Node pass-through. */
  kind: 'direct' | 'relay' | 'minimal' | 'claudescope'
  url: string
  /** The proxy's own process; absent for direct. */
  process?: BenchProcess
  /** Claudescope's GraphQL API, where records and sizes are read. */
  api?: ClaudescopeApi
  /**
   * CPU seconds Claudescope's database has used so far: the embedded one's process, or the
   * PostgreSQL server's backends serving it. Capture's writes cost most of it.
   */
  databaseCpuSeconds?: () => Promise<number>
}

/**
 * The targets in the order round `round` of `rounds` visits them: each round starts further along,
 * so across the rounds every target runs early and late in a round alike.
 */
export function inTurn(targets: readonly Target[], round: number, rounds: number): Target[] {
  const start = Math.floor((round * targets.length) / rounds) % targets.length
  return [...targets.slice(start), ...targets.slice(0, start)]
}

/**
 * Resolves once a load's last records have most likely been written: the capture writer lingers
 * 100 ms for company before each write. Measuring a target's CPU through this keeps its own writes
 * in its figures and out of the next target's measurement.
 */
export async function afterCaptureLands(target: Target): Promise<void> {
  if (target.kind === 'claudescope') await new Promise((resolve) => setTimeout(resolve, 500))
}
