import { performance } from 'node:perf_hooks'
import type { Logger } from '../../logger'
import type { WriteErrorSummary } from './batch-commit'

/** How often an ongoing database outage is logged again. */
const OUTAGE_LOG_INTERVAL_MS = 30_000

/** What the outage log lines say besides the error. */
export interface OutageFigures {
  /** Failed batches since start. */
  failedBatches: number
  lastError: WriteErrorSummary | undefined
  spoolBytes: number | undefined
  spoolRecords: number | undefined
}

/**
 * Logs a run of failed database writes: its start, a reminder every 30 s while it lasts, and its
 * end, never one line per failed batch.
 */
export class OutageReport {
  readonly #logger: Logger
  /** The current run of failed batches, or null while the database answers. */
  #outage: { since: number; loggedAt: number; failedAtStart: number } | null = null

  constructor(logger: Logger) {
    this.#logger = logger
  }

  /** Told after every write, with whether it failed and the figures as they are now. */
  noteWrite(failed: boolean, figures: OutageFigures): void {
    const now = performance.now()
    if (failed && this.#outage === null) {
      this.#outage = { since: now, loggedAt: now, failedAtStart: figures.failedBatches - 1 }
      this.#logger.warn({ err: figures.lastError }, 'capture cannot write to the database; records go to the disk spool until it answers again')
    } else if (failed && this.#outage && now - this.#outage.loggedAt >= OUTAGE_LOG_INTERVAL_MS) {
      this.#outage.loggedAt = now
      this.#logger.warn({ err: figures.lastError, downForS: Math.round((now - this.#outage.since) / 1000), failedBatches: figures.failedBatches - this.#outage.failedAtStart, spoolBytes: figures.spoolBytes }, 'capture still cannot write to the database')
    } else if (!failed && this.#outage) {
      this.#logger.info({ downForS: Math.round((now - this.#outage.since) / 1000), spoolRecords: figures.spoolRecords, spoolBytes: figures.spoolBytes }, 'capture writes to the database again; replaying the spool')
      this.#outage = null
    }
  }
}
