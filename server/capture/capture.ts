import path from 'node:path'
import { performance } from 'node:perf_hooks'
import type { LiveBus } from '../live/live-bus'
import type { Logger } from '../logger'
import type { ProxyObserver } from '../proxy/proxy-observer'
import type { CaptureStore } from '../store/capture-store'
import type { CaptureOp } from './capture-op'
import { CaptureRuns } from './capture-runs'
import { loadInstallSecret } from './install-secret'
import { Quarantine } from './quarantine'
import { BoundedQueue } from './queue'
import { Recorder } from './recorder'
import { createHeaderRedactor, createTextRedactor } from './redact'
import type { RedactPattern } from './redact-patterns'
import { Spool } from './spool'
import { BatchWriter, type BatchWriterStats } from './writer'

export interface CaptureLimits {
  /** Records held in memory waiting for the database. @default 10_000 (CAPTURE_QUEUE_MAX_ITEMS) */
  maxItems: number
  /**
   * Approximate bytes held in memory waiting for the database; past it ops go to the spool. It is
   * reached only while the database writes slower than traffic arrives (the embedded one under a
   * load of 200 KB bodies), and the process keeps most of that memory afterwards.
   * @default 64 MiB (CAPTURE_QUEUE_MAX_BYTES)
   */
  maxBytes: number
  /** Most records per transaction. @default 200 (CAPTURE_BATCH_MAX_ITEMS) */
  batchMaxItems: number
  /** Approximate bytes per batch; see BatchWriterOptions. @default 16 MiB, 2 MiB on the embedded database (CAPTURE_BATCH_MAX_BYTES) */
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
  /** Ops replayed from the spool into the database since start. */
  replayed: number
  /** Ops lost because the queue and the spool were both full (or the disk failed), since start. */
  dropped: number
}

/** Recording of /v1/* traffic (C1–C3, C5): the proxy's observer, and what runs behind it. */
export interface Capture {
  observer: ProxyObserver
  stats(): CaptureStats
  /** Resolves once every ended exchange is in the database; rejects with CAPTURE_FLUSH_TIMEOUT. @default timeoutMs 30_000 */
  flush(timeoutMs?: number): Promise<void>
  /** Flushes (up to `closeTimeoutMs`), then stops the writer and spools whatever is left, for the next start. Never hangs on a hung database. */
  close(): Promise<void>
}

/** How often an ongoing run of drops is logged. */
const DROP_LOG_INTERVAL_MS = 10_000
/** How long close() waits, past its flush, for a database write that hangs. */
const CLOSE_WRITE_GRACE_MS = 1_000

/**
 * Wires capture: install secret → header redactor → recorder (the proxy's observer) → bounded
 * queue → batch writer, with the disk spool behind the queue (C4). The proxy never waits: an op
 * goes to the spool when the queue is full, when it has waited `spillAfterMs` while the database
 * stalls, when the database is failing (then at once, keeping memory small), or at close. Only
 * when the spool is full too is an op dropped, counted and logged. While the database keeps up,
 * ops stay in memory: spooling them would double the work of a busy but healthy database.
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
  const writer = new BatchWriter({ store, queue, logger, batchMaxItems: limits.batchMaxItems, batchMaxBytes: limits.batchMaxBytes, spool, quarantine, runId: runs.id, onBatch: options.onBatch, spillAfterMs: limits.spillAfterMs })
  let dropped = 0
  const reportDrop = createDropReporter(logger, () => dropped)
  const keepOnDisk = (op: CaptureOp) => {
    if (spool.append(op)) return
    dropped++
    reportDrop(op)
  }
  const recorder = new Recorder({
    bus,
    // While the database fails, new ops go straight to disk: memory stays small however long it lasts.
    sink: (op) => {
      if (writer.isFailing || !queue.offer(op)) keepOnDisk(op)
    },
    redactHeaders,
    redactText,
    logger,
    runId: runs.id,
    maxKeptBodyBytes: limits.maxKeptBodyBytes,
  })
  const spillAged = () => {
    if (!writer.isFailing && !writer.isStalled) return
    const cutoff = writer.isFailing ? Number.POSITIVE_INFINITY : performance.now() - limits.spillAfterMs
    for (const op of queue.takeQueuedBefore(cutoff)) keepOnDisk(op)
  }
  // Ticks often enough that, in a stall, an op is on disk at most a tick past spillAfterMs.
  const spillTimer = setInterval(spillAged, Math.max(20, Math.min(100, limits.spillAfterMs / 2))).unref()
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
      for (const op of queue.takeQueuedBefore(Number.POSITIVE_INFINITY)) keepOnDisk(op)
      spool.close()
    })())

  return {
    observer: recorder,
    stats: () => {
      const s = spool.stats
      return { ...writer.stats, dropped, inFlight: recorder.inFlight, spoolBytes: s.bytes, spoolRecords: s.records, spilled: s.spilled, replayed: s.replayed }
    },
    flush,
    close,
  }
}

/** Logs the first drop of a run at once, then at most one summary per interval, never one line per record. */
function createDropReporter(logger: Logger, droppedTotal: () => number): (op: CaptureOp) => void {
  let lastLogAt = Number.NEGATIVE_INFINITY
  let sinceLastLog = 0
  return (op) => {
    sinceLastLog++
    const now = Date.now()
    if (now - lastLogAt < DROP_LOG_INTERVAL_MS) return
    logger.warn(
      { dropped: sinceLastLog, droppedTotal: droppedTotal(), requestId: op.record.id, op: op.kind },
      'capture records dropped: the queue and the disk spool are full or the spool cannot be written (check the database and DATA_DIR; SPOOL_MAX_BYTES bounds the spool)',
    )
    lastLogAt = now
    sinceLastLog = 0
  }
}
