import { UserInputError } from '../graphql/errors'
import type { Logger } from '../logger'
import type { PruneResult, RetentionStore } from '../store/retention-store'
import { isRetentionDays, RETENTION_DAYS_EXPECTED } from './retention-period'

export interface RetentionServiceOptions {
  store: RetentionStore
  /** RETENTION_DAYS: the period a prune keeps when none is given. Unset: a period must be given. */
  retentionDays?: number
  logger: Logger
}

/** Running totals since start, for /metrics. */
export interface RetentionStats {
  /** Prunes started. */
  runs: number
  /** Prunes that failed (the database was down, say); what they deleted before is counted below. */
  failedRuns: number
  requestsDeleted: number
  contentsDeleted: number
}

/** How pruning stands: the period in force and the outcome of the last prune (for the dashboard). */
export interface RetentionStatus {
  /** RETENTION_DAYS; null when unset. */
  retentionDays: number | null
  /** A prune is running or waiting its turn. */
  pruning: boolean
  lastPrune: { olderThanDays: number; finishedAt: Date; deleted: PruneResult } | null
  /** The last failure, until a later prune finishes. */
  lastFailure: { olderThanDays: number; failedAt: Date; message: string } | null
}

const settled = () => undefined

/**
 * Prunes records older than a retention period, one prune at a time: a call for the period of the
 * prune in progress (or of the one waiting its turn) shares it, a call for another period runs
 * after it. Whoever calls (the schedule, the pruneRecords mutation) gets the result or the error;
 * the service itself never throws into the process.
 */
export class RetentionService {
  readonly #store: RetentionStore
  readonly #retentionDays: number | undefined
  readonly #logger: Logger
  readonly #stopping = new AbortController()
  readonly #stats: RetentionStats = { runs: 0, failedRuns: 0, requestsDeleted: 0, contentsDeleted: 0 }
  /** The prune asked for last, running or waiting for the one before it; each waits for its predecessor. */
  #latest: { days: number; result: Promise<PruneResult> } | undefined
  #lastPrune: RetentionStatus['lastPrune'] = null
  #lastFailure: RetentionStatus['lastFailure'] = null

  constructor(options: RetentionServiceOptions) {
    this.#store = options.store
    this.#retentionDays = options.retentionDays
    this.#logger = options.logger
  }

  /**
   * Deletes the records that started more than `olderThanDays` days ago (RETENTION_DAYS when not
   * given) and the body parts no kept record uses. Throws a UserInputError when no period is given
   * and RETENTION_DAYS is unset, or when the period is not a whole number of days from 1 to 36500.
   */
  async prune(olderThanDays?: number | null): Promise<PruneResult> {
    const days = this.#periodOf(olderThanDays)
    if (this.#stopping.signal.aborted) throw stoppedError()
    const latest = this.#latest
    if (latest?.days === days) return latest.result
    const result = (latest ? latest.result.then(settled, settled) : Promise.resolve()).then(() => this.#run(days))
    const entry = { days, result }
    this.#latest = entry
    const forget = () => {
      if (this.#latest === entry) this.#latest = undefined
    }
    result.then(forget, forget)
    return result
  }

  stats(): RetentionStats {
    return { ...this.#stats }
  }

  status(): RetentionStatus {
    return { retentionDays: this.#retentionDays ?? null, pruning: this.#latest !== undefined, lastPrune: this.#lastPrune, lastFailure: this.#lastFailure }
  }

  /**
   * Stops the prune in progress before its next statement (it resolves with what it deleted) and
   * those waiting, and refuses new ones; resolves once none runs, so the store can close.
   */
  async close(): Promise<void> {
    this.#stopping.abort()
    await this.#latest?.result.then(settled, settled)
  }

  #periodOf(olderThanDays: number | null | undefined): number {
    const days = olderThanDays ?? this.#retentionDays
    if (days === undefined) throw new UserInputError('RETENTION_PERIOD_REQUIRED', 'olderThanDays is required: RETENTION_DAYS is not set on this server', 'olderThanDays')
    if (!isRetentionDays(days)) throw new UserInputError('RETENTION_PERIOD_OUT_OF_RANGE', `olderThanDays must be ${RETENTION_DAYS_EXPECTED} (got ${days})`, 'olderThanDays')
    return days
  }

  async #run(days: number): Promise<PruneResult> {
    if (this.#stopping.signal.aborted) throw stoppedError()
    this.#stats.runs++
    try {
      const result = await this.#store.prune(days, {
        signal: this.#stopping.signal,
        onBatch: (deleted) => {
          this.#stats.requestsDeleted += deleted.requestsDeleted
          this.#stats.contentsDeleted += deleted.contentsDeleted
        },
      })
      const { cutoff, requestsDeleted, contentsDeleted, telemetryDeleted } = result
      const stopped = this.#stopping.signal.aborted
      const level = stopped || requestsDeleted + contentsDeleted + telemetryDeleted > 0 ? 'info' : 'debug'
      this.#logger[level]({ days, cutoff, requestsDeleted, contentsDeleted, telemetryDeleted }, stopped ? 'pruning stopped by shutdown; the next start goes on' : 'pruned records older than the retention period')
      this.#lastPrune = { olderThanDays: days, finishedAt: new Date(), deleted: result }
      this.#lastFailure = null
      return result
    } catch (err) {
      this.#stats.failedRuns++
      this.#lastFailure = { olderThanDays: days, failedAt: new Date(), message: err instanceof Error ? err.message : String(err) }
      throw err
    }
  }
}

function stoppedError(): Error {
  return new Error('Retention has stopped: the server is shutting down')
}
