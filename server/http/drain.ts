import type { Logger } from '../logger'
import type { Lifecycle } from './health'

export interface DrainOptions {
  lifecycle: Lifecycle
  /** Seconds /health reports 503 before new /v1/* work is refused. */
  graceMs: number
  /** Ceiling on waiting for in-flight exchanges. */
  timeoutMs: number
  logger: Logger
  /** Progress log period. @default 10_000 */
  progressEveryMs?: number
}

/**
 * Graceful stop on SIGTERM or SIGINT, step one: mark draining so /health answers 503, keep serving while load
 * balancers notice (`graceMs`), then refuse new /v1/* work (cutting bodies still arriving) and wait until nothing is in flight or
 * `timeoutMs` passes, logging progress. Resolves `true` when it drained, `false` on the ceiling.
 * The caller then closes the app (flushes capture, closes subscriptions).
 */
export async function drain(options: DrainOptions): Promise<boolean> {
  const { lifecycle, logger } = options
  const progressEveryMs = options.progressEveryMs ?? 10_000
  const started = Date.now()
  lifecycle.draining = true
  logger.info({ in_flight: lifecycle.inFlight(), grace_ms: options.graceMs }, 'draining: /health now answers 503')
  await sleep(options.graceMs)
  lifecycle.refuseNewWork()
  logger.info({ in_flight: lifecycle.inFlight() }, 'draining: refusing new /v1/* requests')

  let lastLog = Date.now()
  while (lifecycle.inFlight() > 0) {
    const elapsed = Date.now() - started
    if (elapsed >= options.timeoutMs) {
      logger.warn({ in_flight: lifecycle.inFlight(), elapsed_ms: elapsed }, 'drain timeout reached; stopping with exchanges in flight')
      return false
    }
    if (Date.now() - lastLog >= progressEveryMs) {
      lastLog = Date.now()
      logger.info({ in_flight: lifecycle.inFlight(), elapsed_ms: elapsed }, 'draining: waiting for in-flight exchanges')
    }
    await sleep(Math.min(100, options.timeoutMs - elapsed))
  }
  logger.info({ elapsed_ms: Date.now() - started }, 'drained')
  return true
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
