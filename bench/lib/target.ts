import type { BenchProcess } from './processes'

/** Something the benchmark sends traffic to: the upstream itself (direct) or a proxy in front of it. */
export interface Target {
  name: string
  url: string
  /** The proxy's own process; absent for direct. */
  process?: BenchProcess
  /** Records stored so far (Claudescope only), read through GraphQL. */
  storedCount?: () => Promise<number>
}
