/**
 * The one way tests wait: on a condition, an event or a signal, always with an expiry that fails the
 * test with what it was waiting for. Tests never sleep a fixed time and never assert durations.
 */
import { once as onceEvent, type EventEmitter } from 'node:events'

/**
 * Default expiry of every wait, in milliseconds: generous, as the test machine is shared (CI runs
 * two projects of test files in parallel on two cores; a capture write once took over 10 s there).
 * It only bounds how long a failing wait takes; tests time out at 30 s.
 */
export const DEFAULT_WAIT_MS = 20_000

/** How often `waitFor` re-checks a condition that nothing signals, in milliseconds. */
const POLL_INTERVAL_MS = 10

/** What a truthy check lets through: `T` without its falsy members. */
export type Truthy<T> = Exclude<T, false | 0 | 0n | '' | null | undefined>

/** Thrown when a wait expires; the message names what was awaited. */
export class WaitExpiredError extends Error {
  readonly code = 'WAIT_EXPIRED'
  constructor(what: string, timeoutMs: number) {
    super(`Timed out after ${timeoutMs} ms waiting for ${what}`)
  }
}

/** Polls `condition` until it returns a truthy value (returned) or `timeoutMs` passes. */
export async function waitFor<T>(condition: () => T | Promise<T>, what: string, timeoutMs = DEFAULT_WAIT_MS): Promise<Truthy<T>> {
  const expired = expiry(timeoutMs)
  for (;;) {
    const value = await condition()
    if (value) return value as Truthy<T>
    if (expired()) throw new WaitExpiredError(what, timeoutMs)
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS))
  }
}

/** Settles as `promise` does, or rejects with a `WaitExpiredError` after `timeoutMs`. */
export async function withExpiry<T>(promise: Promise<T>, what: string, timeoutMs = DEFAULT_WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WaitExpiredError(what, timeoutMs)), timeoutMs)
  })
  try {
    return await Promise.race([promise, expired])
  } finally {
    clearTimeout(timer)
  }
}

/** Resolves with the arguments of the next `event` of `emitter`; rejects after `timeoutMs`. */
export async function once(emitter: EventEmitter, event: string, timeoutMs = DEFAULT_WAIT_MS): Promise<unknown[]> {
  const abort = new AbortController()
  try {
    return await withExpiry(onceEvent(emitter, event, { signal: abort.signal }), `the '${event}' event`, timeoutMs)
  } finally {
    abort.abort()
  }
}

/**
 * A one-shot signal the code under test (through a hook or a fake) fires and the test awaits:
 * `fire(value)` settles every `wait()`, earlier or later.
 */
export class Signal<T = void> {
  #fired = false
  #resolve!: (value: T) => void
  readonly #promise = new Promise<T>((resolve) => (this.#resolve = resolve))

  constructor(readonly what: string) {}

  get fired(): boolean {
    return this.#fired
  }

  fire(value: T): void {
    this.#fired = true
    this.#resolve(value)
  }

  wait(timeoutMs = DEFAULT_WAIT_MS): Promise<T> {
    return withExpiry(this.#promise, this.what, timeoutMs)
  }
}

/** A gate a fake waits behind until the test opens it: stands in for a slow dependency without a timer. */
export class Gate {
  #open!: () => void
  /** Resolves once `open()` was called. */
  readonly opened = new Promise<void>((resolve) => (this.#open = resolve))

  open(): void {
    this.#open()
  }
}

/**
 * Event-driven waiting on state the test collects: whoever changes the state calls `changed()`,
 * and `until(condition)` re-checks only then, so nothing polls.
 */
export class Changes {
  readonly #waiters = new Set<() => void>()

  changed(): void {
    for (const wake of this.#waiters) wake()
  }

  /** Resolves with the first truthy value of `condition` (checked now and after each change); a throw rejects. */
  until<T>(condition: () => T, what: string, timeoutMs = DEFAULT_WAIT_MS): Promise<Truthy<T>> {
    let check!: () => void
    const satisfied = new Promise<Truthy<T>>((resolve, reject) => {
      check = () => {
        try {
          const value = condition()
          if (value) resolve(value as Truthy<T>)
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)))
        }
      }
    })
    this.#waiters.add(check)
    check()
    return withExpiry(satisfied, what, timeoutMs).finally(() => this.#waiters.delete(check))
  }
}

/** A function that tells whether `timeoutMs` has passed since it was made. */
function expiry(timeoutMs: number): () => boolean {
  const deadline = Date.now() + timeoutMs
  return () => Date.now() > deadline
}
