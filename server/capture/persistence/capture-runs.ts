import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { writePrivateFile } from '../../files/private-files'
import type { Logger } from '../../logger'
import { ORPHANED_ERROR_CODE, ORPHANED_MESSAGE } from '../../records/orphaned-record'
import type { CaptureStore } from '../../store/capture-store'
import type { CaptureOp } from '../capture-op'

export interface CaptureRunsOptions {
  store: CaptureStore
  /**
   * DATA_DIR. Its `capture-run` file names the run of the last process that used it, which is
   * dead for sure once this process holds the spool's lock: create CaptureRuns after the Spool.
   */
  dataDir: string
  logger: Logger
  /** How often this run tells the database it is alive, and sweeps the records of dead runs. @default 30_000 */
  heartbeatMs?: number
  /** A run not heard from for this long is dead (measured on the database's clock). @default 120_000 */
  staleAfterMs?: number
}

/**
 * The capture run of this process, and the sweep that closes what dead runs left open. A record
 * is written IN_FLIGHT when its exchange starts; if the process dies before the end, nothing
 * would ever complete it. Every run keeps a heartbeat row in `capture_runs`, every record names
 * its run, and every instance periodically marks the IN_FLIGHT records of runs that stopped
 * beating ABORTED with `CAPTURE_ORPHANED`. The previous run on the same DATA_DIR is known dead at
 * start, so a restart closes its leftovers at once.
 *
 * The sweep is a provisional verdict: a completion still waiting in a spool (replayed after the
 * restart) overwrites an orphaned row, since the writer treats it as still open. The heartbeat
 * and the sweep run beside capture and never block it; while the database is down they fail
 * quietly and try again at the next beat.
 */
export class CaptureRuns {
  /** This run's id, written into every record it captures. */
  readonly id = randomUUID()
  readonly #store: CaptureStore
  readonly #logger: Logger
  readonly #file: string
  readonly #heartbeatMs: number
  readonly #staleAfterS: number
  #timer: NodeJS.Timeout | undefined
  #beating: Promise<void> = Promise.resolve()

  constructor(options: CaptureRunsOptions) {
    this.#store = options.store
    this.#logger = options.logger
    this.#file = path.join(options.dataDir, 'capture-run')
    this.#heartbeatMs = options.heartbeatMs ?? 30_000
    this.#staleAfterS = (options.staleAfterMs ?? 120_000) / 1000
  }

  /** Registers this run (replacing the previous one on this DATA_DIR) and starts beating. */
  start(): void {
    const previous = readRunId(this.#file)
    writePrivateFile(this.#file, this.id)
    this.#beat(previous)
    this.#timer = setInterval(() => this.#beat(null), this.#heartbeatMs).unref()
  }

  /** Stops beating; resolves once a beat in progress has ended. The run row stays until it is stale. */
  async close(): Promise<void> {
    clearInterval(this.#timer)
    await this.#beating
  }

  #beat(previousRunId: string | null): void {
    this.#beating = this.#beating.then(async () => {
      try {
        await this.#store.heartbeat(this.id, previousRunId)
        const swept = await this.#store.sweepOrphans(this.#staleAfterS)
        if (swept > 0) this.#logger.info({ swept }, 'marked records ABORTED whose recording process stopped before they ended')
        await this.#store.forgetStaleRuns(this.#staleAfterS)
      } catch (err) {
        // The writer reports database outages; the next beat tries again.
        this.#logger.debug({ err }, 'capture run heartbeat failed')
      }
    })
  }
}

/**
 * Closes a start op replayed from the spool when another run spooled it. The spool belongs to one
 * DATA_DIR and its lock proves that run is gone, so nothing will complete the exchange but a
 * completion further on in the spool, which still overrides the closed row. Without this, a
 * replay after the start-up sweep would leave such records in flight until the next beat.
 * Mutates the op: the spool decoded it for this one replay.
 */
export function closeIfOrphaned(op: CaptureOp, runId: string): CaptureOp {
  if (op.kind === 'start' && op.record.runId !== runId) {
    Object.assign(op.record, { status: 'ABORTED', errorCode: ORPHANED_ERROR_CODE, error: ORPHANED_MESSAGE })
  }
  return op
}

function readRunId(file: string): string | null {
  try {
    const id = readFileSync(file, 'utf8').trim()
    return /^[0-9a-f-]{36}$/i.test(id) ? id : null
  } catch {
    return null
  }
}
