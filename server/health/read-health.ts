import type { CaptureStats } from '../capture/capture'
import type { LiveBusLink } from '../live/live-bus'
import type { CaptureHealthReport, HealthReport } from './health-report'

/** What the health report is read from, each asked afresh on every read. */
export interface HealthSources {
  /** True once the instance stopped accepting work. */
  isDraining(): boolean
  /** /v1/* exchanges the proxy has in flight. */
  inFlight(): number
  database: HealthReport['database']
  liveSubscribers(): number
  liveLink(): LiveBusLink
  captureStats(): CaptureStats
}

/** The reader of this instance's health, as `/livez`, `/metrics` and the GraphQL `health` query show it. */
export function createHealthReader(sources: HealthSources): () => HealthReport {
  return () => {
    const draining = sources.isDraining()
    return {
      status: draining ? 'draining' : 'healthy',
      draining,
      inFlight: sources.inFlight(),
      database: sources.database,
      liveSubscribers: sources.liveSubscribers(),
      live: sources.liveLink(),
      capture: captureHealth(sources.captureStats()),
    }
  }
}

/** The capture figures an operator watches, out of everything capture counts. */
function captureHealth(stats: CaptureStats): CaptureHealthReport {
  return {
    queueItems: stats.queueDepth,
    queueBytes: stats.queueBytes,
    spoolBytes: stats.spoolBytes,
    written: stats.written,
    lost: stats.lost,
    failedBatches: stats.failedBatches,
    reduced: stats.reduced,
    quarantined: stats.quarantined,
    lastWriteMs: stats.lastWriteMs,
  }
}
