import type { Logger } from '../logger'
import type { PruneResult } from '../store/retention-store'

export interface RetentionScheduleOptions {
  /** One scheduled prune. Its failure (the database is down, say) is logged, and the next prune is still scheduled. */
  prune(): Promise<PruneResult>
  logger: Logger
  /** Before the first prune, so it leaves the start alone. @default 60_000 */
  firstDelayMs?: number
  /** From the end of one prune to the start of the next, so two never overlap however long one takes. @default 3_600_000 */
  intervalMs?: number
  /** Starts a timer and returns what cancels it. @default setTimeout, unref'd: a prune waiting never keeps the process alive */
  startTimer?: (run: () => void, delayMs: number) => () => void
}

export interface RetentionSchedule {
  /** Cancels the next prune. A prune in progress is the service's to stop (RetentionService.close); none is scheduled after it. */
  stop(): void
}

const unrefTimer = (run: () => void, delayMs: number) => {
  const timer = setTimeout(run, delayMs).unref()
  return () => clearTimeout(timer)
}

/** Prunes shortly after start, then an interval after each prune ends, until stopped. */
export function scheduleRetention(options: RetentionScheduleOptions): RetentionSchedule {
  const { prune, logger } = options
  const startTimer = options.startTimer ?? unrefTimer
  let stopped = false
  let cancel: () => void
  const next = (delayMs: number) => {
    cancel = startTimer(() => void run(), delayMs)
  }
  const run = async () => {
    try {
      await prune()
    } catch (err) {
      logger.warn({ err }, 'pruning old records failed; the next scheduled prune tries again')
    }
    if (!stopped) next(options.intervalMs ?? 3_600_000)
  }
  next(options.firstDelayMs ?? 60_000)
  return {
    stop() {
      stopped = true
      cancel()
    },
  }
}
