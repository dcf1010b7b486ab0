import type { DataSource } from 'typeorm'
import type { LiveBus } from '../live/live-bus'
import type { Logger } from '../logger'
import type { ProxyObserver } from '../proxy/proxy-observer'
import type { CaptureOp } from './capture-op'
import { loadInstallSecret } from './install-secret'
import { BoundedQueue } from './queue'
import { Recorder } from './recorder'
import { createHeaderRedactor } from './redact'
import { BatchWriter, type BatchWriterStats } from './writer'

export interface CaptureLimits {
  /** Records held in memory waiting for the database. @default 10_000 (CAPTURE_QUEUE_MAX_ITEMS) */
  maxItems: number
  /** Approximate bytes held in memory waiting for the database. @default 256 MiB (CAPTURE_QUEUE_MAX_BYTES) */
  maxBytes: number
  /** Most records per transaction. @default 200 (CAPTURE_BATCH_MAX_ITEMS) */
  batchMaxItems: number
  /** Per-exchange storage bound of response bodies and streams (see RecorderOptions). @default 16 MiB */
  maxKeptBodyBytes?: number
}

export interface CaptureOptions {
  /** A migrated store (`openStore`). */
  dataSource: DataSource
  bus: LiveBus
  /** DATA_DIR, where the install secret lives. */
  dataDir: string
  logger: Logger
  limits: CaptureLimits
  /** How long `close()` waits for the queue to reach the database. @default 10_000 */
  closeTimeoutMs?: number
}

export interface CaptureStats extends BatchWriterStats {
  /** Exchanges started and not yet ended. */
  inFlight: number
}

/** Recording of /v1/* traffic (C1–C3, C5): the proxy's observer, and what runs behind it. */
export interface Capture {
  observer: ProxyObserver
  stats(): CaptureStats
  /** Resolves once every ended exchange is in the database; rejects with CAPTURE_FLUSH_TIMEOUT. @default timeoutMs 30_000 */
  flush(timeoutMs?: number): Promise<void>
  /** Flushes (up to `closeTimeoutMs`), then stops the writer. Records still queued are logged as lost. */
  close(): Promise<void>
}

/** How often an ongoing run of drops is logged. */
const DROP_LOG_INTERVAL_MS = 10_000

/**
 * Wires capture: install secret → header redactor → recorder (the proxy's observer) → bounded
 * queue → batch writer (started here). Where a durable spool will go, the queue's overflow and
 * the records left at close are the two seams: today both are counted and logged.
 */
export function createCapture(options: CaptureOptions): Capture {
  const { dataSource, bus, logger, limits } = options
  const queue = new BoundedQueue({ maxItems: limits.maxItems, maxBytes: limits.maxBytes })
  const writer = new BatchWriter({ dataSource, queue, logger, batchMaxItems: limits.batchMaxItems })
  const reportDrop = createDropReporter(logger, () => queue.dropped)
  const recorder = new Recorder({
    bus,
    sink: (op) => {
      if (!queue.offer(op)) reportDrop(op)
    },
    redactHeaders: createHeaderRedactor(loadInstallSecret(options.dataDir)),
    logger,
    maxKeptBodyBytes: limits.maxKeptBodyBytes,
  })
  writer.start()

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
        logger.error({ err, lost: queue.depth }, 'capture stopped before every record reached the database')
      }
      await writer.close()
    })())

  return {
    observer: recorder,
    stats: () => ({ ...writer.stats, inFlight: recorder.inFlight }),
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
      'capture queue full: records dropped (raise CAPTURE_QUEUE_MAX_ITEMS / CAPTURE_QUEUE_MAX_BYTES or check the database)',
    )
    lastLogAt = now
    sinceLastLog = 0
  }
}
