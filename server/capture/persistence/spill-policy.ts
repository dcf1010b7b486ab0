import { performance } from 'node:perf_hooks'

/** A write pending this many times longer than the database's recent commits took is a stall. */
const STALL_FACTOR = 4
/**
 * However slow the recent commits, a write pending this long is a stall (unless `spillAfterMs` is
 * longer): the ops behind it then reach the disk within the second a crash may cost, with a tick
 * of the spill timer and the event loop's lag to spare.
 */
const MAX_PATIENCE_MS = 800
/** How many recent commits the database's usual pace is read from (their median). */
const PACE_WINDOW = 16

/**
 * When capture ops leave memory for the disk spool: the one place that decides it. The batch
 * writer reports each database write to it; capture asks it where a new op goes and which queued
 * ops must go to disk now; the writer asks it when to copy the batch it is committing.
 *
 * An op goes to the spool when the queue refuses it (full; a refused start first waits for its
 * exchange to end, see WaitingStarts), while the database is failing (at once, keeping memory
 * small however long the outage lasts), when it has waited too long while a write stalls, and at
 * close. While the database keeps up, even slowly, ops stay in memory:
 * spooling them would double the work of a busy but healthy database.
 *
 * A stall is a write pending longer than `spillAfterMs` AND several times longer than the
 * database's recent commits took, up to MAX_PATIENCE_MS. A loaded database that commits every
 * batch in 600 ms is slow, not hung: judged by `spillAfterMs` alone, each of its batches went to
 * disk as well, which took the CPU the database needed and made the next commits slower still. A
 * write pending past MAX_PATIENCE_MS is a stall however slow the pace: waiting longer, a crash
 * could cost more than its last second.
 */
export class SpillPolicy {
  /** now() when the pending database write began, or null between writes. */
  #writeStartedAt: number | null = null
  #failing = false
  /** Durations of the latest committed writes, oldest first, at most PACE_WINDOW. */
  readonly #recentCommitsMs: number[] = []
  /** The median of #recentCommitsMs (0 before the first commit), kept as each commit lands. */
  #usualCommitMs = 0
  readonly #now: () => number

  /**
   * @param spillAfterMs The least time a write must be pending to count as a stall, whatever the
   * database's pace; ops that waited that long go to disk in a stall. @default 500
   * @param now The clock, in ms. @default performance.now
   */
  constructor(
    readonly spillAfterMs = 500,
    now: () => number = () => performance.now(),
  ) {
    this.#now = now
  }

  /** The writer began a database write. */
  noteWriteStarted(): void {
    this.#writeStartedAt = this.#now()
  }

  /** The write settled; `failed` when the database failed it in a way worth retrying. */
  noteWriteSettled(failed: boolean): void {
    if (!failed && this.#writeStartedAt !== null) {
      this.#recentCommitsMs.push(this.#now() - this.#writeStartedAt)
      if (this.#recentCommitsMs.length > PACE_WINDOW) this.#recentCommitsMs.shift()
      const sorted = this.#recentCommitsMs.toSorted((a, b) => a - b)
      this.#usualCommitMs = sorted[sorted.length >> 1]!
    }
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
   * How long a write may be pending before it is a stall: `spillAfterMs`, or STALL_FACTOR times
   * the median of the recent commits when that is longer, up to MAX_PATIENCE_MS. The median, so
   * one slow commit (the end of a hang) does not raise it.
   */
  get stallAfterMs(): number {
    return Math.max(this.spillAfterMs, Math.min(MAX_PATIENCE_MS, STALL_FACTOR * this.#usualCommitMs))
  }

  /**
   * A write has been pending longer than `stallAfterMs`: the database hangs, or is far slower than
   * it just was. Ops waiting in memory are then at risk from a crash.
   */
  get isStalled(): boolean {
    return this.#writeStartedAt !== null && this.#now() - this.#writeStartedAt > this.stallAfterMs
  }

  /** Whether a new op may wait in memory; when not (or when the queue refuses it) it goes to disk. */
  get admitsToQueue(): boolean {
    return !this.#failing
  }

  /**
   * Queued ops first queued before this now() time must go to disk now: all of them while the
   * database fails, those older than `stallAfterMs` while a write stalls; undefined while the
   * database keeps up.
   */
  spillCutoff(): number | undefined {
    if (this.#failing) return Number.POSITIVE_INFINITY
    return this.isStalled ? this.#now() - this.stallAfterMs : undefined
  }

  /** How often `spillCutoff` is applied: in a stall an op is on disk at most one tick past `stallAfterMs`. In ms. */
  get checkEveryMs(): number {
    return Math.max(20, Math.min(100, this.spillAfterMs / 2))
  }

  /** How long a batch being committed is held only in memory before a copy goes to the spool, so a crash during a stall cannot take it. In ms. */
  get copyInFlightAfterMs(): number {
    return this.stallAfterMs
  }
}
