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
  /** Runs before each of the target's turns in a scenario's rounds (see turns). */
  beforeTurn?: () => Promise<void>
}

/**
 * The targets in the order round `round` visits them: in their order, then in reverse, so that
 * every target runs early and late alike and any two of them run in both orders (a rotation keeps
 * two neighbours in one order in all rounds but one). Each is given once its `beforeTurn` is done.
 */
export async function* turns(targets: readonly Target[], round: number): AsyncGenerator<Target> {
  for (const target of round % 2 === 0 ? targets : targets.toReversed()) {
    await target.beforeTurn?.()
    yield target
  }
}

/**
 * Resolves once a load's last records have most likely been written: the capture writer lingers
 * 100 ms for company before each write. Measuring a target's CPU through this keeps its own writes
 * in its figures and out of the next target's measurement.
 */
export async function afterCaptureLands(target: Target): Promise<void> {
  if (target.kind === 'claudescope') await new Promise((resolve) => setTimeout(resolve, 500))
}
