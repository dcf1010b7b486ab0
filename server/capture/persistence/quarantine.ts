import { appendFileSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import type { Logger } from '../../logger'
import type { CaptureOp } from '../capture-op'
import { encodeOp } from '../spool/spool-codec'

export interface QuarantineOptions {
  /** DATA_DIR/quarantine; created (0700) on the first op. */
  dir: string
  logger: Logger
}

/**
 * Where an op goes that the database refuses even in its reduced form: appended to
 * `<dir>/quarantine.bin` (0600, in the spool's frame format, so `decodeOps` reads it back) instead
 * of blocking the ops behind it. Rare by design, so each op is one synchronous append.
 */
export class Quarantine {
  readonly #file: string
  readonly #dir: string
  readonly #logger: Logger
  #count = 0

  constructor(options: QuarantineOptions) {
    this.#dir = options.dir
    this.#file = path.join(options.dir, 'quarantine.bin')
    this.#logger = options.logger
  }

  /** Ops quarantined since start. */
  get count(): number {
    return this.#count
  }

  get file(): string {
    return this.#file
  }

  /** Appends the op; false (and logged) when the disk refused it, so it is lost. */
  add(op: CaptureOp): boolean {
    try {
      mkdirSync(this.#dir, { recursive: true, mode: 0o700 })
      appendFileSync(this.#file, Buffer.concat(encodeOp(op)), { mode: 0o600 })
    } catch (err) {
      this.#logger.error({ err, requestId: op.record.id, op: op.kind }, 'could not write a quarantined capture record; it is lost')
      return false
    }
    this.#count++
    return true
  }
}
