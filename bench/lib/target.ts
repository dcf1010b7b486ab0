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
