import { performance } from 'node:perf_hooks'
import type { Logger } from '../../logger'
import { coalesceOps, type CaptureOp } from '../capture-op'
import type { CaptureStore } from '../../store/capture-store'
import type { Quarantine } from './quarantine'
import { bareOp, reduceOp } from './reduced-op'

/** Bound of the ids remembered as having a stored IN_FLIGHT row (far above any real concurrency). */
const STORED_STARTS_MAX = 100_000

export interface BatchCommitOptions {
  store: CaptureStore
  logger: Logger
  /** Where an op goes that the database refuses even reduced; without it such an op is lost (counted in `rejected`). */
  quarantine?: Quarantine
  /** Told about every committed batch (for /metrics). */
  onBatch?: (records: number, seconds: number) => void
}

export interface BatchCommitStats {
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
}

/** What a log line may say about a write error: never the query parameters (bodies). */
export interface WriteErrorSummary {
  message: string
  code?: string
}

/**
 * Commits batches of capture ops into `requests` and `stream_chunks`, one transaction per batch
 * (usually a single statement, see `CaptureStore.writeBatch`), and isolates the rows the database
 * refuses.
 *
 * An error caused by the rows themselves (SQLSTATE 22, 23, 54 and the like, see `CaptureStore.isTransient`)
 * would fail the same batch forever, in the queue and on replay from the spool; such a batch is
 * retried op by op, an op failing alone is written in reduced form (`reduceOp`), and one refused
 * even so goes to the quarantine file. What follows it is never held up.
 */
export class BatchCommit {
  readonly #store: CaptureStore
  readonly #logger: Logger
  readonly #quarantine: Quarantine | undefined
  readonly #onBatch: ((records: number, seconds: number) => void) | undefined
  readonly #stats: BatchCommitStats = { written: 0, writtenChunks: 0, failedBatches: 0, reduced: 0, quarantined: 0, rejected: 0, lastBatchSize: 0, lastWriteMs: 0 }
  /** Requests whose IN_FLIGHT row is committed and whose completion is not yet: see `CaptureStore.writeBatch`. */
  readonly #storedStarts = new Set<string>()
  #lastError: WriteErrorSummary | undefined

  constructor(options: BatchCommitOptions) {
    this.#store = options.store
    this.#logger = options.logger
    this.#quarantine = options.quarantine
    this.#onBatch = options.onBatch
  }

  get stats(): BatchCommitStats {
    return { ...this.#stats }
  }

  /** The error of the last failure worth retrying, for the outage log lines. */
  get lastError(): WriteErrorSummary | undefined {
    return this.#lastError
  }

  /** Writes a batch; returns true when it failed for a reason worth retrying (then `retryLater` gets what is left). */
  async write(batch: CaptureOp[], retryLater: (rest: CaptureOp[]) => void): Promise<boolean> {
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
        await this.#setAside(op, reduced.err)
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

  /**
   * The op the database refuses even reduced: to the quarantine file, or lost when there is none;
   * then its bare form is written, so the row does not stay IN_FLIGHT and says where the op went.
   */
  async #setAside(op: CaptureOp, refusal: unknown): Promise<void> {
    let whereabouts: string
    if (this.#quarantine?.add(op)) {
      this.#stats.quarantined++
      whereabouts = `kept whole in ${this.#quarantine.file}`
      this.#logger.error({ err: describe(refusal), requestId: op.record.id, op: op.kind, file: this.#quarantine.file }, 'database refused a captured record even reduced; quarantined')
    } else {
      this.#stats.rejected++
      whereabouts = 'its bodies and stream events are lost'
      this.#logger.error({ err: describe(refusal), requestId: op.record.id, op: op.kind }, 'database refused a captured record even reduced; dropped')
    }
    const bare = await this.#commitAlone(bareOp(op, whyRefused(refusal), whereabouts))
    if (bare !== null) this.#logger.error({ err: describe(bare.err), requestId: op.record.id }, 'database refused even the bare row of a set-aside record; its row keeps its last stored state')
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
    for (const op of batch) if (op.kind === 'complete') this.#stats.writtenChunks += op.chunks.count
  }

  #noteStoredStarts(ops: CaptureOp[]): void {
    // Only ops the recorder lost could leave ids behind; past this many, forget them all (upserts are always correct).
    if (this.#storedStarts.size > STORED_STARTS_MAX) this.#storedStarts.clear()
    for (const op of ops) {
      if (op.kind === 'start') this.#storedStarts.add(op.record.id)
      else this.#storedStarts.delete(op.record.id)
    }
  }
}

/** A short reason for a reduced record's note: SQLSTATE and message, never parameters. */
function whyRefused(err: unknown): string {
  const { message, code } = describe(err)
  return code === undefined ? message : `SQLSTATE ${code}: ${message}`
}

function describe(err: unknown): WriteErrorSummary {
  return { message: err instanceof Error ? err.message : String(err), code: (err as { code?: string } | null)?.code }
}
