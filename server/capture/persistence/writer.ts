import { performance } from 'node:perf_hooks'
import type { CaptureStore } from '../../store/capture-store'
import type { Logger } from '../../logger'
import { CaptureError } from '../capture-error'
import type { CaptureOp } from '../capture-op'
import type { SpillReason, Spool } from '../spool/spool'
import { BatchCommit, type BatchCommitStats } from './batch-commit'
import { closeIfOrphaned } from './capture-runs'
import { OutageReport } from './outage-report'
import type { Quarantine } from './quarantine'
import type { BoundedQueue } from './queue'
import { SpillPolicy } from './spill-policy'

export interface BatchWriterOptions {
  store: CaptureStore
  queue: BoundedQueue
  logger: Logger
  /** Most ops written in one transaction. @default 200 */
  batchMaxItems?: number
  /**
   * Approximate bytes per batch; a single larger op still goes, alone. A batch's statement is built
   * in memory whole, and on the embedded database it stays: one leaves about five times its size
   * resident in PGlite's heap for good (69 MB after one of 8 MiB, 350 MB after 64 MiB). Since bodies
   * are stored as parts, bigger batches no longer pay on PostgreSQL either: under the bench's load
   * of bodies to 200 KB, 2 MiB batches peaked at 279 MiB against 303 with 16 MiB ones, their rate
   * within the spread between runs. @default 2 MiB
   */
  batchMaxBytes?: number
  /** Wait before retrying after a failed batch; doubles per consecutive failure. @default 100 */
  retryInitialMs?: number
  /** Ceiling of the retry wait, so replay starts at most this long after the database returns. @default 2_000 */
  retryMaxMs?: number
  /** Ops that waited too long or arrived during an outage; replayed, oldest first, beside the queue. */
  spool?: Spool
  /** Where an op goes that the database refuses even reduced; without it such an op is lost (counted in `rejected`). */
  quarantine?: Quarantine
  /** This process's capture run: spooled starts of other runs are replayed closed (see `closeIfOrphaned`). */
  runId?: string
  /** Told about every committed batch (for /metrics). */
  onBatch?: (records: number, seconds: number) => void
  /**
   * A queue batch is written once its oldest op is this old (or the batch is full): ops arriving
   * close together share one round trip, and a quick exchange's start and completion become one
   * row write instead of two. @default 100
   */
  lingerMs?: number
  /**
   * Told about every write, and asked when the batch being written is copied to the spool (a
   * stall). @default a SpillPolicy with its default spillAfterMs
   */
  spillPolicy?: SpillPolicy
}

export interface BatchWriterStats extends BatchCommitStats {
  queueDepth: number
  queueBytes: number
  /** Ops the queue refused because a bound was reached (they went to the spool, or were lost). */
  refused: number
}

/**
 * Drains the capture queue and the disk spool into the database (see `BatchCommit`), beside the
 * proxy, never in its way: lingers briefly so close ops share a round trip, alternates queue and
 * spool while both hold work, and backs off while the database fails. It runs on the proxy's own
 * thread: handing its batches to a worker thread was measured, and cost more CPU than it moved
 * (README, Performance).
 *
 * When the database fails, the batch goes back to the front of the queue and is retried with
 * exponential backoff, so records survive an outage as long as the queue's bounds allow (the
 * queue refuses and counts what exceeds them). Rows the database refuses for what they hold are
 * isolated by the commit and never hold up what follows.
 */
export class BatchWriter {
  readonly #queue: BoundedQueue
  readonly #logger: Logger
  readonly #batchMaxItems: number
  readonly #batchMaxBytes: number
  readonly #retryInitialMs: number
  readonly #retryMaxMs: number
  readonly #commit: BatchCommit
  readonly #outage: OutageReport
  readonly #spill: SpillPolicy

  #running: Promise<void> | null = null
  #closed = false
  #retryDelayMs: number
  /** Cuts short the current idle wait or retry pause. */
  #interrupt: (() => void) | null = null
  #drainWaiters: (() => void)[] = []
  readonly #spool: Spool | undefined
  readonly #runId: string | undefined
  readonly #lingerMs: number
  /** Alternates queue and spool while both hold work, so neither starves. */
  #spoolTurn = false
  /** The queue batch whose commit is pending, if any. */
  #inFlight: { ops: CaptureOp[]; spooled: boolean; abandoned: boolean } | null = null

  constructor(options: BatchWriterOptions) {
    this.#queue = options.queue
    this.#logger = options.logger
    this.#batchMaxItems = options.batchMaxItems ?? 200
    this.#batchMaxBytes = options.batchMaxBytes ?? 2 * 1024 * 1024
    this.#retryInitialMs = options.retryInitialMs ?? 100
    this.#retryMaxMs = options.retryMaxMs ?? 2_000
    this.#retryDelayMs = this.#retryInitialMs
    this.#spool = options.spool
    this.#runId = options.runId
    this.#lingerMs = options.lingerMs ?? 100
    this.#spill = options.spillPolicy ?? new SpillPolicy()
    this.#commit = new BatchCommit({ store: options.store, logger: options.logger, quarantine: options.quarantine, onBatch: options.onBatch })
    this.#outage = new OutageReport(options.logger)
  }

  get stats(): BatchWriterStats {
    return { ...this.#commit.stats, queueDepth: this.#queue.depth, queueBytes: this.#queue.bytes, refused: this.#queue.refused }
  }

  /** Starts draining; idempotent. */
  start(): void {
    if (this.#running === null && !this.#closed) this.#running = this.#run()
  }

  /**
   * Resolves once the queue is empty and no batch is being written; a pending retry is tried at
   * once. Rejects with `CAPTURE_FLUSH_TIMEOUT` after `timeoutMs` (the ops stay queued).
   */
  flush(timeoutMs = 30_000): Promise<void> {
    if (this.#isDrained()) return Promise.resolve()
    this.#interrupt?.()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#drainWaiters = this.#drainWaiters.filter((w) => w !== done)
        reject(new CaptureError('CAPTURE_FLUSH_TIMEOUT', `Capture queue still holds ${this.#queue.depth} records after ${timeoutMs} ms`))
      }, timeoutMs)
      const done = () => {
        clearTimeout(timer)
        resolve()
      }
      this.#drainWaiters.push(done)
    })
  }

  /**
   * Stops after the batch in progress; whatever is still queued stays there. Idempotent. When that
   * batch has not settled within `timeoutMs` (a hung database), a batch taken from the queue is
   * copied to the spool (a spool batch is still there) and close resolves without it.
   */
  async close(timeoutMs = Number.POSITIVE_INFINITY): Promise<void> {
    this.#closed = true
    this.#interrupt?.()
    if (this.#running === null) return
    let timer: NodeJS.Timeout | undefined
    const settled = await Promise.race([
      this.#running.then(() => true),
      ...(Number.isFinite(timeoutMs) ? [new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))] : []),
    ])
    clearTimeout(timer)
    if (!settled) this.#abandonInFlight()
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      const source = this.#pickSource()
      if (source === null) {
        await this.#wait(this.#spool ? Promise.race([this.#queue.whenNotEmpty(), this.#spool.whenNotEmpty()]) : this.#queue.whenNotEmpty())
        continue
      }
      const lingerLeftMs = source === 'queue' ? this.#lingerLeftMs() : 0
      if (lingerLeftMs > 0) {
        // A batch that fills meanwhile goes at once: a burst must not overflow the queue into the spool while the writer idles.
        await this.#pause(lingerLeftMs, this.#queue.whenHolds(this.#batchMaxItems, this.#batchMaxBytes))
        continue
      }
      this.#spill.noteWriteStarted()
      const failed = source === 'spool' ? await this.#replaySpoolBatch(this.#spool!) : await this.#writeQueueBatch()
      this.#outage.noteWrite(failed, { ...this.#commit.stats, lastError: this.#commit.lastError, spoolBytes: this.#spool?.bytes, spoolRecords: this.#spool?.stats.records })
      this.#spill.noteWriteSettled(failed)
      if (failed) {
        await this.#pause(this.#retryDelayMs)
        this.#retryDelayMs = Math.min(this.#retryDelayMs * 2, this.#retryMaxMs)
      } else {
        this.#retryDelayMs = this.#retryInitialMs
      }
      if (this.#isDrained()) this.#notifyDrained()
    }
  }

  /** How much longer the queue's oldest op waits for company; 0 once the batch is due, or flush() or close() waits. */
  #lingerLeftMs(): number {
    const queue = this.#queue
    if (this.#drainWaiters.length > 0 || this.#closed || queue.depth >= this.#batchMaxItems || queue.bytes >= this.#batchMaxBytes) return 0
    return this.#lingerMs - (performance.now() - (queue.oldestQueuedAt ?? Number.NEGATIVE_INFINITY))
  }

  #pickSource(): 'queue' | 'spool' | null {
    const spoolReady = this.#spool?.hasBacklog === true
    const queueReady = this.#queue.depth > 0
    if (spoolReady && queueReady) return (this.#spoolTurn = !this.#spoolTurn) ? 'spool' : 'queue'
    return spoolReady ? 'spool' : queueReady ? 'queue' : null
  }

  /**
   * Writes the queue's oldest ops. While the commit is pending they are in neither queue nor
   * spool; should it still be pending after `spillAfterMs` (a stall), a copy goes to the spool, so
   * a crash cannot take it. A later failure is then left to the spool's replay, and a later
   * success tells the spool to skip the copy.
   */
  async #writeQueueBatch(): Promise<boolean> {
    const batch = this.#queue.take(this.#batchMaxItems, this.#batchMaxBytes)
    const inFlight = (this.#inFlight = { ops: batch, spooled: false, abandoned: false })
    const guard = this.#spool && setTimeout(() => this.#spoolInFlight(inFlight, 'database_stalled'), this.#spill.copyInFlightAfterMs)
    try {
      const failed = await this.#commit.write(batch, (rest) => {
        if (!inFlight.spooled && !inFlight.abandoned) this.#queue.requeue(rest)
      })
      if (!failed && inFlight.spooled) this.#spool!.markCommitted(batch)
      return failed
    } finally {
      clearTimeout(guard)
      this.#inFlight = null
    }
  }

  /** Copies the queue batch being committed to the spool (once); false when the spool refused part of it. */
  #spoolInFlight(inFlight: { ops: CaptureOp[]; spooled: boolean }, reason: SpillReason): boolean {
    if (!inFlight.spooled && this.#spool) inFlight.spooled = inFlight.ops.every((op) => this.#spool!.append(op, reason))
    return inFlight.spooled
  }

  /** close() gave up waiting on a commit: its ops must not depend on it any more. */
  #abandonInFlight(): void {
    const inFlight = this.#inFlight
    if (inFlight === null) return
    inFlight.abandoned = true
    if (this.#spoolInFlight(inFlight, 'shutdown')) return
    this.#queue.requeue(inFlight.ops) // the caller spools or counts what the queue holds
    this.#logger.warn({ batchSize: inFlight.ops.length }, 'capture stopped during a stalled database write; its records go back to the queue')
  }

  /** Replays the spool's oldest ops; they leave the spool only once committed (a failure retries them all: upserts make that harmless). */
  async #replaySpoolBatch(spool: Spool): Promise<boolean> {
    // batchMaxItems ops, like a queue batch: decoding and binding run on the proxy's thread, so a
    // replay batch is kept as short a pause as a live one (twice the ops replayed 30 % faster but
    // doubled the proxy's median latency meanwhile).
    const batch = await spool.nextBatch(this.#batchMaxItems, this.#batchMaxBytes)
    if (!batch) return false
    const runId = this.#runId
    const ops = runId === undefined ? batch.ops : batch.ops.map((op) => closeIfOrphaned(op, runId))
    const failed = await this.#commit.write(ops, () => {})
    if (!failed) batch.ack()
    return failed
  }

  /** Waits for `event`, or less if flush() or close() interrupts. */
  async #wait(event: Promise<unknown>): Promise<void> {
    await Promise.race([event, new Promise<void>((resolve) => (this.#interrupt = resolve))])
    this.#interrupt = null
  }

  /** Waits `ms`, or until `cutShort` settles, or an interrupt. */
  async #pause(ms: number, cutShort?: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const elapsed = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))
    await this.#wait(cutShort ? Promise.race([elapsed, cutShort]) : elapsed)
    clearTimeout(timer)
  }

  #isDrained(): boolean {
    return this.#queue.depth === 0 && !this.#spill.isWriting && this.#spool?.hasBacklog !== true
  }

  #notifyDrained(): void {
    const waiters = this.#drainWaiters
    this.#drainWaiters = []
    for (const resolve of waiters) resolve()
  }
}
