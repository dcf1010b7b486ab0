import { performance } from 'node:perf_hooks'
import type { Logger } from '../../logger'

/** Longest a run of deferred tasks keeps the event loop before letting I/O in again, in ms. */
const SLICE_MS = 10

/**
 * Capture work taken off the forwarding path: tasks run in order, after the current I/O turn
 * (setImmediate), in slices of about 10 ms, so pending socket reads and writes of every exchange
 * are served between slices. Scanning bodies with REDACT_PATTERNS runs here, never inside a proxy
 * hook (the proxy calls `onStart` before it dispatches upstream). A task that throws is logged and
 * the next one runs.
 */
export class DeferredWork {
  readonly #logger: Logger
  #tasks: (() => void)[] = []
  #next = 0
  #isScheduled = false

  constructor(logger: Logger) {
    this.#logger = logger
  }

  /** Runs `task` after every task scheduled before it. */
  schedule(task: () => void): void {
    this.#tasks.push(task)
    if (this.#isScheduled) return
    this.#isScheduled = true
    setImmediate(() => this.#runSlice())
  }

  #runSlice(): void {
    const until = performance.now() + SLICE_MS
    while (this.#next < this.#tasks.length) {
      const task = this.#tasks[this.#next]!
      this.#tasks[this.#next++] = noop
      try {
        task()
      } catch (err) {
        this.#logger.error({ err }, 'deferred capture work failed; the exchange was forwarded, its record may be incomplete')
      }
      if (performance.now() >= until) break
    }
    if (this.#next < this.#tasks.length) {
      setImmediate(() => this.#runSlice())
      return
    }
    this.#tasks = []
    this.#next = 0
    this.#isScheduled = false
  }
}

const noop = () => {}
