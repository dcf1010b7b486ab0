import { performance } from 'node:perf_hooks'

/**
 * When capture ops leave memory for the disk spool: the one place that decides it. The batch
 * writer reports each database write to it; capture asks it where a new op goes and which queued
 * ops must go to disk now; the writer asks it when to copy the batch it is committing.
 *
 * An op goes to the spool when the queue refuses it (full), while the database is failing (at
 * once, keeping memory small however long the outage lasts), when it has waited `spillAfterMs`
 * while a write stalls, and at close. While the database keeps up, even slowly, ops stay in
 * memory: spooling them would double the work of a busy but healthy database.
 */
export class SpillPolicy {
  /** performance.now() when the pending database write began, or null between writes. */
  #writeStartedAt: number | null = null
  #failing = false

  /**
   * @param spillAfterMs A database write pending this long is a stall: ops that waited this long
   * in memory go to the spool, and so does a copy of the batch being written. @default 500
   */
  constructor(readonly spillAfterMs = 500) {}

  /** The writer began a database write. */
  noteWriteStarted(): void {
    this.#writeStartedAt = performance.now()
  }

  /** The write settled; `failed` when the database failed it in a way worth retrying. */
  noteWriteSettled(failed: boolean): void {
    this.#writeStartedAt = null
    this.#failing = failed
  }

  /** A database write is pending. */
  get isWriting(): boolean {
    return this.#writeStartedAt !== null
  }

  /**
   * True from a failed batch until the next committed one. A commit that merely takes long does
   * not count (see `isStalled`).
   */
  get isFailing(): boolean {
    return this.#failing
  }

  /**
   * A write has been pending longer than `spillAfterMs`: the database hangs, or is far slower than
   * the traffic. Ops waiting in memory are then at risk from a crash.
   */
  get isStalled(): boolean {
    return this.#writeStartedAt !== null && performance.now() - this.#writeStartedAt > this.spillAfterMs
  }

  /** Whether a new op may wait in memory; when not (or when the queue refuses it) it goes to disk. */
  get admitsToQueue(): boolean {
    return !this.#failing
  }

  /**
   * Queued ops first queued before this performance.now() time must go to disk now: all of them
   * while the database fails, those older than `spillAfterMs` while a write stalls; undefined
   * while the database keeps up.
   */
  spillCutoff(): number | undefined {
    if (this.#failing) return Number.POSITIVE_INFINITY
    return this.isStalled ? performance.now() - this.spillAfterMs : undefined
  }

  /** How often `spillCutoff` is applied: in a stall an op is on disk at most one tick past `spillAfterMs`. In ms. */
  get checkEveryMs(): number {
    return Math.max(20, Math.min(100, this.spillAfterMs / 2))
  }

  /** How long a batch being committed is held only in memory before a copy goes to the spool, so a crash during a stall cannot take it. In ms. */
  get copyInFlightAfterMs(): number {
    return this.spillAfterMs
  }
}
