import { performance } from 'node:perf_hooks'
import type { Logger } from '../logger'
import type { CaptureStore } from '../store/capture-store'
import { CaptureError } from './capture-error'
import { coalesceOps, type CaptureOp } from './capture-op'
import { closeIfOrphaned } from './capture-runs'
import type { Quarantine } from './quarantine'
import { reduceOp } from './reduced-op'
import type { Spool } from './spool'
import type { BoundedQueue } from './queue'

/** How often an ongoing database outage is logged again. */
const OUTAGE_LOG_INTERVAL_MS = 30_000
/** Bound of the ids remembered as having a stored IN_FLIGHT row (far above any real concurrency). */
const STORED_STARTS_MAX = 100_000

export interface BatchWriterOptions {
  store: CaptureStore
  queue: BoundedQueue
  logger: Logger
  /** Most ops written in one transaction. @default 200 */
  batchMaxItems?: number
  /**
   * Approximate bytes per batch; a single larger op still goes, alone. Big batches carry more
   * rows per round trip: with 2 MiB instead of 16, a load of 200 KB bodies on PostgreSQL ran 22 %
   * slower and its queue peaked at 133 MiB instead of 6. @default 16 MiB
   */
  batchMaxBytes?: number
  /** Wait before retrying after a failed batch; doubles per consecutive failure. @default 100 */
  retryInitialMs?: number
  /** Ceiling of the retry wait, so replay starts at most this long after the database returns. @default 2_000 */
  retryMaxMs?: number
  /** Ops that waited too long or arrived during an outage; replayed, oldest first, beside the queue. */
  spool?: Spool
  /** Where an op goes that the database refuses even reduced; without it such an op is dropped (counted in `rejected`). */
  quarantine?: Quarantine
  /** This process's capture run: spooled starts of other runs are replayed closed (see `closeIfOrphaned`). */
  runId?: string
  /** Told about every committed batch (for /metrics). */
  onBatch?: (records: number, seconds: number) => void
  /**
   * A queue batch is written once its oldest op is this old (or the batch is full): ops arriving
   * close together share one round trip, and a quick exchange's start and completion become one
   * row write instead of two. @default 10
   */
  lingerMs?: number
  /**
   * A write pending longer than this means the database stalls (see `isStalled`); the queue batch
   * being written is then copied to the spool, so a crash during the stall cannot take it. @default 500
   */
  spillAfterMs?: number
}

export interface BatchWriterStats {
  /** Ops committed (a start and a completion coalesced in the queue count once). */
  written: number
  /** Stream chunks committed. */
  writtenChunks: number
  /** Transactions that failed and were retried (or isolated, see `reduced`). */
  failedBatches: number
  /** Ops the database refused as captured and took in reduced form (see `reduceOp`). */
  reduced: number
  /** Ops the database refused even reduced, kept in the quarantine file instead. */
  quarantined: number
  /** Ops the database refused even reduced that no quarantine file could keep: lost. */
  rejected: number
  /** Ops in the last committed batch. */
  lastBatchSize: number
  /** Milliseconds the last committed batch took, transaction included. */
  lastWriteMs: number
  queueDepth: number
  queueBytes: number
  /** Ops the queue refused because a bound was reached. */
  dropped: number
}

/**
 * Drains the capture queue into `requests` and `stream_chunks`, one transaction per batch (usually
 * a single statement, see `CaptureStore.writeBatch`). Runs beside the proxy, never in its way.
 *
 * When the database fails, the batch goes back to the front of the queue and is retried with
 * exponential backoff, so records survive an outage as long as the queue's bounds allow (the
 * queue drops and counts what exceeds them). An error caused by the rows themselves (SQLSTATE
 * 22, 23, 54 and the like, see `CaptureStore.isTransient`) would fail the same batch forever, in the
 * queue and on replay from the spool; such a batch is retried op by op, an op failing alone is
 * written in reduced form (`reduceOp`), and one refused even so goes to the quarantine file. What
 * follows it is never held up.
 */
export class BatchWriter {
  readonly #store: CaptureStore
  readonly #queue: BoundedQueue
  readonly #logger: Logger
  readonly #batchMaxItems: number
  readonly #batchMaxBytes: number
  readonly #retryInitialMs: number
  readonly #retryMaxMs: number

  #running: Promise<void> | null = null
  #closed = false
  /** performance.now() when the pending write began, or null between writes. */
  #writeStartedAt: number | null = null
  #retryDelayMs: number
  /** Cuts short the current idle wait or retry pause. */
  #interrupt: (() => void) | null = null
  #drainWaiters: (() => void)[] = []
  #stats = { written: 0, writtenChunks: 0, failedBatches: 0, reduced: 0, quarantined: 0, rejected: 0, lastBatchSize: 0, lastWriteMs: 0 }
  readonly #spool: Spool | undefined
  readonly #quarantine: Quarantine | undefined
  readonly #runId: string | undefined
  readonly #onBatch: ((records: number, seconds: number) => void) | undefined
  readonly #spillAfterMs: number
  readonly #lingerMs: number
  /** Set by a failed batch, cleared by the next committed one: the database is down or refusing. */
  #failing = false
  /** Alternates queue and spool while both hold work, so neither starves. */
  #spoolTurn = false
  /** The current run of failed batches, for its log lines. */
  #outage: { since: number; loggedAt: number; failedAtStart: number } | null = null
  #lastError: ReturnType<typeof describe> | undefined
  /** The queue batch whose commit is pending, if any. */
  #inFlight: { ops: CaptureOp[]; spooled: boolean; abandoned: boolean } | null = null
  /** Requests whose IN_FLIGHT row is committed and whose completion is not yet: see `CaptureStore.writeBatch`. */
  readonly #storedStarts = new Set<string>()

  constructor(options: BatchWriterOptions) {
    this.#store = options.store
    this.#queue = options.queue
    this.#logger = options.logger
    this.#batchMaxItems = options.batchMaxItems ?? 200
    this.#batchMaxBytes = options.batchMaxBytes ?? 16 * 1024 * 1024
    this.#retryInitialMs = options.retryInitialMs ?? 100
    this.#retryMaxMs = options.retryMaxMs ?? 2_000
    this.#retryDelayMs = this.#retryInitialMs
    this.#spool = options.spool
    this.#quarantine = options.quarantine
    this.#runId = options.runId
    this.#onBatch = options.onBatch
    this.#spillAfterMs = options.spillAfterMs ?? 500
    this.#lingerMs = options.lingerMs ?? 10
  }

  /**
   * True from a failed batch until the next committed one. A commit that merely takes long does
   * not count (see `isStalled`): sending every new op to disk whenever a big batch is slow would
   * double the work of a busy but healthy database.
   */
  get isFailing(): boolean {
    return this.#failing
  }

  /**
   * A write has been pending longer than `spillAfterMs`: the database hangs, or is far slower
   * than the traffic. Ops waiting in memory are then at risk from a crash; while it merely keeps
   * up, even slowly, they are not worth a trip through the disk.
   */
  get isStalled(): boolean {
    return this.#writeStartedAt !== null && performance.now() - this.#writeStartedAt > this.#spillAfterMs
  }

  get stats(): BatchWriterStats {
    return { ...this.#stats, queueDepth: this.#queue.depth, queueBytes: this.#queue.bytes, dropped: this.#queue.dropped }
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
        await this.#pause(lingerLeftMs)
        continue
      }
      this.#writeStartedAt = performance.now()
      const failed = source === 'spool' ? await this.#replaySpoolBatch(this.#spool!) : await this.#writeQueueBatch()
      this.#writeStartedAt = null
      this.#noteOutcome(failed)
      if (failed) {
        await this.#pause(this.#retryDelayMs)
        this.#retryDelayMs = Math.min(this.#retryDelayMs * 2, this.#retryMaxMs)
      } else {
        this.#retryDelayMs = this.#retryInitialMs
      }
      if (this.#isDrained()) this.#notifyDrained()
    }
  }

  /** Tracks the failing state, logging its start, a reminder every OUTAGE_LOG_INTERVAL_MS, and its end. */
  #noteOutcome(failed: boolean): void {
    const now = performance.now()
    if (failed && !this.#failing) {
      this.#outage = { since: now, loggedAt: now, failedAtStart: this.#stats.failedBatches - 1 }
      this.#logger.warn({ err: this.#lastError }, 'capture cannot write to the database; records go to the disk spool until it answers again')
    } else if (failed && this.#outage && now - this.#outage.loggedAt >= OUTAGE_LOG_INTERVAL_MS) {
      this.#outage.loggedAt = now
      this.#logger.warn({ err: this.#lastError, downForS: Math.round((now - this.#outage.since) / 1000), failedBatches: this.#stats.failedBatches - this.#outage.failedAtStart, spoolBytes: this.#spool?.bytes }, 'capture still cannot write to the database')
    } else if (!failed && this.#failing && this.#outage) {
      this.#logger.info({ downForS: Math.round((now - this.#outage.since) / 1000), spoolRecords: this.#spool?.stats.records, spoolBytes: this.#spool?.bytes }, 'capture writes to the database again; replaying the spool')
      this.#outage = null
    }
    this.#failing = failed
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
    const guard = this.#spool && setTimeout(() => this.#spoolInFlight(inFlight), this.#spillAfterMs)
    try {
      const failed = await this.#writeBatch(batch, (rest) => {
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
  #spoolInFlight(inFlight: { ops: CaptureOp[]; spooled: boolean }): boolean {
    if (!inFlight.spooled && this.#spool) inFlight.spooled = inFlight.ops.every((op) => this.#spool!.append(op))
    return inFlight.spooled
  }

  /** close() gave up waiting on a commit: its ops must not depend on it any more. */
  #abandonInFlight(): void {
    const inFlight = this.#inFlight
    if (inFlight === null) return
    inFlight.abandoned = true
    if (this.#spoolInFlight(inFlight)) return
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
    const failed = await this.#writeBatch(ops, () => {})
    if (!failed) batch.ack()
    return failed
  }

  /** Writes a batch; returns true when it failed for a reason worth retrying (then `retryLater` gets what is left). */
  async #writeBatch(batch: CaptureOp[], retryLater: (rest: CaptureOp[]) => void): Promise<boolean> {
    try {
      await this.#commit(batch)
      return false
    } catch (err) {
      this.#stats.failedBatches++
      if (this.#store.isTransient(err)) {
        retryLater(batch)
        this.#lastError = describe(err)
        return true
      }
      return this.#writeOneByOne(batch, retryLater)
    }
  }

  /**
   * Isolates the op(s) the database refuses: each is retried alone, then reduced, then
   * quarantined. A transient failure midway hands the rest back for a retry.
   */
  async #writeOneByOne(batch: CaptureOp[], retryLater: (rest: CaptureOp[]) => void): Promise<boolean> {
    for (const [index, op] of batch.entries()) {
      const asCaptured = await this.#commitAlone(op)
      if (asCaptured === null) continue
      const reduced = asCaptured.isTransient ? asCaptured : await this.#commitAlone(reduceOp(op, whyRefused(asCaptured.err)))
      if (reduced === null) {
        this.#noteReduced(op, asCaptured.err)
      } else if (reduced.isTransient) {
        retryLater(batch.slice(index))
        this.#lastError = describe(reduced.err)
        return true
      } else {
        this.#setAside(op, reduced.err)
      }
    }
    return false
  }

  /** Commits one op; null when it went through, else the error and whether it may pass. */
  async #commitAlone(op: CaptureOp): Promise<{ err: unknown; isTransient: boolean } | null> {
    try {
      await this.#commit([op])
      return null
    } catch (err) {
      return { err, isTransient: this.#store.isTransient(err) }
    }
  }

  #noteReduced(op: CaptureOp, refusal: unknown): void {
    this.#stats.reduced++
    this.#logger.warn({ err: describe(refusal), requestId: op.record.id, op: op.kind }, 'database refused a captured record; stored it in reduced form')
  }

  /** The op the database refuses even reduced: to the quarantine file, or lost when there is none. */
  #setAside(op: CaptureOp, refusal: unknown): void {
    this.#storedStarts.delete(op.record.id)
    if (this.#quarantine?.add(op)) {
      this.#stats.quarantined++
      this.#logger.error({ err: describe(refusal), requestId: op.record.id, op: op.kind, file: this.#quarantine.file }, 'database refused a captured record even reduced; quarantined')
    } else {
      this.#stats.rejected++
      this.#logger.error({ err: describe(refusal), requestId: op.record.id, op: op.kind }, 'database refused a captured record even reduced; dropped')
    }
  }

  async #commit(batch: CaptureOp[]): Promise<void> {
    const started = performance.now()
    const ops = coalesceOps(batch)
    await this.#store.writeBatch(ops, (id) => this.#storedStarts.has(id))
    this.#noteStoredStarts(ops)
    this.#stats.lastWriteMs = performance.now() - started
    this.#onBatch?.(batch.length, this.#stats.lastWriteMs / 1000)
    this.#stats.lastBatchSize = batch.length
    this.#stats.written += batch.length
    for (const op of batch) if (op.kind === 'complete') this.#stats.writtenChunks += op.chunks.length
  }

  #noteStoredStarts(ops: CaptureOp[]): void {
    // Only ops the recorder lost could leave ids behind; past this many, forget them all (upserts are always correct).
    if (this.#storedStarts.size > STORED_STARTS_MAX) this.#storedStarts.clear()
    for (const op of ops) {
      if (op.kind === 'start') this.#storedStarts.add(op.record.id)
      else this.#storedStarts.delete(op.record.id)
    }
  }

  /** Waits for `event`, or less if flush() or close() interrupts. */
  async #wait(event: Promise<unknown>): Promise<void> {
    await Promise.race([event, new Promise<void>((resolve) => (this.#interrupt = resolve))])
    this.#interrupt = null
  }

  async #pause(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    await this.#wait(new Promise((resolve) => (timer = setTimeout(resolve, ms))))
    clearTimeout(timer)
  }

  #isDrained(): boolean {
    return this.#queue.depth === 0 && this.#writeStartedAt === null && this.#spool?.hasBacklog !== true
  }

  #notifyDrained(): void {
    const waiters = this.#drainWaiters
    this.#drainWaiters = []
    for (const resolve of waiters) resolve()
  }
}

/** A short reason for a reduced record's note: SQLSTATE and message, never parameters. */
function whyRefused(err: unknown): string {
  const { message, code } = describe(err)
  return code === undefined ? message : `SQLSTATE ${code}: ${message}`
}

/** What a log line may say about a write error: never the query parameters (bodies). */
function describe(err: unknown): { message: string; code?: string } {
  return { message: err instanceof Error ? err.message : String(err), code: (err as { code?: string } | null)?.code }
}
