import type { LiveBusLink } from '../live/live-bus'

/** This instance's operational state, as `/livez`, `/metrics` and the GraphQL `health` query show it. */
export interface HealthReport {
  status: 'healthy' | 'draining'
  draining: boolean
  inFlight: number
  database: 'embedded' | 'postgresql'
  liveSubscribers: number
  /** How live events reach other instances, and what was missed. */
  live: LiveBusLink
  capture: CaptureHealthReport
}

export interface CaptureHealthReport {
  /** Records waiting in memory for the database. */
  queueItems: number
  queueBytes: number
  /** Bytes spilled to the disk spool, waiting for the database. */
  spoolBytes: number
  /** Records written since start. */
  written: number
  /** Records lost because memory and spool bounds were both full: should stay 0. */
  lost: number
  /** Database batches that failed and were retried. */
  failedBatches: number
  /** Records the database refused as captured and took in reduced form (long fields cut, flagged CAPTURE_REDUCED). */
  reduced: number
  /** Records the database refused even reduced, kept in DATA_DIR/quarantine instead: should stay 0. */
  quarantined: number
  /** Milliseconds the last batch took. */
  lastWriteMs: number
}
