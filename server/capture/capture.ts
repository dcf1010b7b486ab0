import path from 'node:path'
import { performance } from 'node:perf_hooks'
import type { LiveBus } from '../live/live-bus'
import type { Logger } from '../logger'
import type { ProxyObserver } from '../proxy/proxy-observer'
import type { CaptureStore } from '../store/capture-store'
import type { CaptureOp } from './capture-op'
import type { RequestRecord } from '../records/request-record'
import { CaptureRuns } from './persistence/capture-runs'
import { Quarantine } from './persistence/quarantine'
import { BoundedQueue } from './persistence/queue'
import { SpillPolicy } from './persistence/spill-policy'
import { WaitingStarts } from './persistence/waiting-starts'
import { BatchWriter, type BatchWriterStats } from './persistence/writer'
import { loadInstallSecret } from './recording/install-secret'
import { Recorder } from './recording/recorder'
import { createHeaderRedactor, createTextRedactor } from './recording/redact'
import type { RedactPattern } from './recording/redact-patterns'
import { Spool, type SpillReason } from './spool/spool'

export interface CaptureLimits {
  /** Records held in memory waiting for the database. @default 10_000 (CAPTURE_QUEUE_MAX_ITEMS) */
  maxItems: number
  /**
   * Approximate bytes held in memory waiting for the database; past it ops go to the spool. It is
   * reached only while the database writes slower than traffic arrives, and the process keeps most
   * of that memory afterwards; the spool costs one write and one read of each op. Under the bench's
   * load of bodies to 200 KB on PostgreSQL the process peaked at 219 MiB with 8 MiB against 279
   * with 64, at the same rate. @default 8 MiB (CAPTURE_QUEUE_MAX_BYTES)
   */
  maxBytes: number
  /** Most records per transaction. @default 200 (CAPTURE_BATCH_MAX_ITEMS) */
  batchMaxItems: number
  /** Approximate bytes per batch; see BatchWriterOptions. @default 2 MiB (CAPTURE_BATCH_MAX_BYTES) */
  batchMaxBytes?: number
  /** Per-exchange storage bound of response bodies and streams (see RecorderOptions). @default 16 MiB */
  maxKeptBodyBytes?: number
  /** Bound of the disk spool (DATA_DIR/spool). @default 1 GiB (SPOOL_MAX_BYTES) */
  spoolMaxBytes: number
  /**
   * When a database write has been pending this long (a stall), ops that waited this long in
   * memory go to the spool, and so does a copy of the batch being written, so a crash during the
   * stall cannot take them. @default 500 (CAPTURE_SPILL_AFTER_MS)
   */
  spillAfterMs: number
  /**
   * How long a queued record waits for company before the writer sends its batch. Each write costs
   * the event loop about 2 ms whatever it holds (round trips, statement building, the
   * transaction), and the database as much again: with 100 ms instead of 10, 2 KB exchanges at
   * concurrency 1 on PostgreSQL cost 0.96 ms of proxy CPU each instead of 1.65, and their added
   * p50 / p90 fell from 1.10 / 3.68 to 0.61 / 1.75 ms (the bench, side by side). The wait counts
   * against the crash promise (records are in the database or the spool a second after they
   * complete), which it leaves most of. @default 100 (CAPTURE_LINGER_MS)
   */
  lingerMs?: number
}

export interface CaptureOptions {
  /** Where records are written: a migrated store's `createCaptureStore`. */
  store: CaptureStore
  bus: LiveBus
  /** DATA_DIR, where the install secret lives. */
  dataDir: string
  logger: Logger
  limits: CaptureLimits
  /** How long `close()` waits for the queue to reach the database; the rest is spooled. @default 10_000 */
  closeTimeoutMs?: number
  /** Told about every committed database batch (for /metrics). */
  onBatch?: (records: number, seconds: number) => void
  /** Heartbeat of this capture run, and sweep of records left open by dead runs. @default 30_000 */
  runHeartbeatMs?: number
  /** A run silent this long is dead and its open records are closed. @default 120_000 */
  runStaleAfterMs?: number
  /** REDACT_PATTERNS: matches are stored as keyed fingerprints (see `createTextRedactor`). @default none */
  redactPatterns?: readonly RedactPattern[]
  /** REDACT_HEADERS: header names fingerprinted besides the built-in credential headers. @default none */
  secretHeaders?: readonly string[]
  /** Gives each finished record its cost before it is published live (see RecorderOptions.price). @default none */
  price?: (record: RequestRecord) => RequestRecord
}

export interface CaptureStats extends BatchWriterStats {
  /** Exchanges started and not yet ended. */
  inFlight: number
  /** Bytes waiting in the disk spool. */
  spoolBytes: number
  /** Ops waiting in the disk spool. */
  spoolRecords: number
  /** Ops written to the spool since start. */
  spilled: number
  /** `spilled`, by why each op went to disk. */
  spilledBy: Record<SpillReason, number>
  /** Ops replayed from the spool into the database since start. */
  replayed: number
  /** Ops lost because the queue and the spool were both full (or the disk failed), since start. */
  lost: number
}

/**
 * Recording of /v1/* traffic, one redacted record per exchange with its stream events, written
 * asynchronously: the proxy's observer, and what runs behind it.
 */
export interface Capture {
  observer: ProxyObserver
  stats(): CaptureStats
  /** Resolves once every ended exchange is in the database; rejects with CAPTURE_FLUSH_TIMEOUT. @default timeoutMs 30_000 */
  flush(timeoutMs?: number): Promise<void>
  /** Flushes (up to `closeTimeoutMs`), then stops the writer and spools whatever is left, for the next start. Never hangs on a hung database. */
  close(): Promise<void>
}

/** How often an ongoing run of lost or spilled ops is logged. */
const REPORT_INTERVAL_MS = 10_000
/** How long close() waits, past its flush, for a database write that hangs. */
const CLOSE_WRITE_GRACE_MS = 1_000

/**
 * Wires capture in its stages: recording (install secret → redactors → recorder, the proxy's
 * observer), then persistence (bounded queue → batch writer), with the disk spool behind the
 * queue. The proxy never waits. When an op goes to the spool is the SpillPolicy's decision; only
 * when the spool refuses it too is an op lost, counted and logged.
 */
export function createCapture(options: CaptureOptions): Capture {
  const { store, bus, logger, limits } = options
  const installSecret = loadInstallSecret(options.dataDir)
  const redactHeaders = createHeaderRedactor(installSecret, options.secretHeaders ?? [])
  const redactText = createTextRedactor(installSecret, options.redactPatterns ?? [])
  const queue = new BoundedQueue({ maxItems: limits.maxItems, maxBytes: limits.maxBytes })
  const spool = new Spool({ dir: path.join(options.dataDir, 'spool'), maxBytes: limits.spoolMaxBytes, logger })
  // After the spool: its lock proves the previous run on this DATA_DIR is over.
  const runs = new CaptureRuns({ store, dataDir: options.dataDir, logger, heartbeatMs: options.runHeartbeatMs, staleAfterMs: options.runStaleAfterMs })
  const quarantine = new Quarantine({ dir: path.join(options.dataDir, 'quarantine'), logger })
  const spillPolicy = new SpillPolicy(limits.spillAfterMs)
  const writer = new BatchWriter({ store, queue, logger, batchMaxItems: limits.batchMaxItems, batchMaxBytes: limits.batchMaxBytes, lingerMs: limits.lingerMs, spool, quarantine, runId: runs.id, onBatch: options.onBatch, spillPolicy })
  let lost = 0
  const reportLoss = throttled((sinceLastLog, op) =>
    logger.warn(
      { lost: sinceLastLog, lostTotal: lost, requestId: op.record.id, op: op.kind },
      'capture records lost: the queue and the disk spool are full or the spool cannot be written (check the database and DATA_DIR; SPOOL_MAX_BYTES bounds the spool)',
    ),
  )
  // An outage and a shutdown are logged where they are seen; these two spill with no other word.
  const reportSpill: Partial<Record<SpillReason, (op: CaptureOp) => void>> = {
    queue_full: throttled((sinceLastLog) =>
      logger.info(
        { spilled: sinceLastLog, queueItems: queue.depth, queueMaxItems: limits.maxItems, queueBytes: queue.bytes, queueMaxBytes: limits.maxBytes },
        'capture records go to the disk spool: the queue is full, the database writes slower than traffic arrives (each spooled record costs a disk write and read; CAPTURE_QUEUE_MAX_BYTES and CAPTURE_QUEUE_MAX_ITEMS bound the queue)',
      ),
    ),
    database_stalled: throttled((sinceLastLog) =>
      logger.warn({ spilled: sinceLastLog, stalledAfterMs: Math.round(spillPolicy.stallAfterMs) }, 'capture records go to the disk spool: a database write is hanging'),
    ),
  }
  const keepOnDisk = (op: CaptureOp, reason: SpillReason) => {
    if (spool.append(op, reason)) {
      reportSpill[reason]?.(op)
      return
    }
    lost++
    reportLoss(op)
  }
  const waitingStarts = new WaitingStarts()
  /** Into the queue if it admits the op; else a start waits for its exchange to end (see WaitingStarts), and anything else goes to disk. */
  const keep = (op: CaptureOp, mayWait: boolean) => {
    if (!spillPolicy.admitsToQueue) keepOnDisk(op, 'database_failing')
    else if (queue.offer(op)) return
    else if (mayWait && op.kind === 'start') waitingStarts.hold(op)
    else keepOnDisk(op, 'queue_full')
  }
  const recorder = new Recorder({
    bus,
    sink: (op) => {
      if (op.kind === 'complete') waitingStarts.drop(op.record.id)
      keep(op, true)
    },
    redactHeaders,
    redactText,
    logger,
    runId: runs.id,
    maxKeptBodyBytes: limits.maxKeptBodyBytes,
    price: options.price,
  })
  const spillAged = () => {
    const cutoff = spillPolicy.spillCutoff()
    if (cutoff !== undefined) {
      const reason = spillPolicy.isFailing ? 'database_failing' : 'database_stalled'
      for (const op of queue.takeQueuedBefore(cutoff)) keepOnDisk(op, reason)
    }
    // A start waits spillAfterMs at most, and not at all while the database fails.
    const waitedLongEnough = performance.now() - spillPolicy.spillAfterMs
    for (const op of waitingStarts.takeWaitingBefore(Math.max(cutoff ?? Number.NEGATIVE_INFINITY, waitedLongEnough))) keep(op, false)
  }
  const spillTimer = setInterval(spillAged, spillPolicy.checkEveryMs).unref()
  writer.start()
  runs.start()

  const flush = async (timeoutMs?: number) => {
    await recorder.whenFinished()
    await writer.flush(timeoutMs)
  }
  let closing: Promise<void> | undefined
  const close = () =>
    (closing ??= (async () => {
      try {
        await flush(options.closeTimeoutMs ?? 10_000)
      } catch (err) {
        logger.warn({ err, queued: queue.depth, spoolBytes: spool.bytes }, 'capture stopped before every record reached the database; the rest is spooled for the next start')
      }
      clearInterval(spillTimer)
      await runs.close()
      await writer.close(CLOSE_WRITE_GRACE_MS)
      for (const op of [...queue.takeQueuedBefore(Number.POSITIVE_INFINITY), ...waitingStarts.takeWaitingBefore(Number.POSITIVE_INFINITY)]) keepOnDisk(op, 'shutdown')
      spool.close()
    })())

  return {
    observer: recorder,
    stats: () => {
      const s = spool.stats
      return { ...writer.stats, lost, inFlight: recorder.inFlight, spoolBytes: s.bytes, spoolRecords: s.records, spilled: s.spilled, spilledBy: s.spilledBy, replayed: s.replayed }
    },
    flush,
    close,
  }
}

/**
 * Logs the first of a run of events (ops lost, or spilled for one reason) at once, then at most
 * one line per interval with how many happened since the last, never one line per record.
 */
function throttled(log: (sinceLastLog: number, op: CaptureOp) => void): (op: CaptureOp) => void {
  let lastLogAt = Number.NEGATIVE_INFINITY
  let sinceLastLog = 0
  return (op) => {
    sinceLastLog++
    const now = Date.now()
    if (now - lastLogAt < REPORT_INTERVAL_MS) return
    log(sinceLastLog, op)
    lastLogAt = now
    sinceLastLog = 0
  }
}
