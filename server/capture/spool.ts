import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs'
import path from 'node:path'
import type { Logger } from '../logger'
import type { CaptureOp } from './capture-op'
import { decodeOps, encodeOp } from './spool-codec'

export interface SpoolOptions {
  /** Directory of segment files (DATA_DIR/spool), created if missing. */
  dir: string
  /** Bound on the segment files together; an append past it is refused. @default 1 GiB (SPOOL_MAX_BYTES) */
  maxBytes: number
  logger: Logger
  /** A segment is closed, and a new one started, past this size. @default 16 MiB */
  segmentMaxBytes?: number
  /** Appended data reaches the disk at least this often. @default 1_000 */
  fsyncIntervalMs?: number
}

/** Ops read back from the spool, removed from it only by `ack` once the database holds them. */
export interface SpoolBatch {
  ops: CaptureOp[]
  ack(): void
}

interface Segment {
  file: string
  bytes: number
}

const SEGMENT_PATTERN = /^(\d{16})\.spool$/

/**
 * Append-only disk spool for capture ops the database could not take in time (C4). Appends are
 * synchronous writes to the page cache, so they survive the process being killed; a timer fsyncs
 * them at least once a second against machine crashes. Replay reads the oldest segment whole,
 * hands its ops out in batches, and deletes the segment once every op is acknowledged; a crash in
 * between replays the segment again, which the writer's upserts make harmless.
 */
export class Spool {
  readonly #dir: string
  readonly #maxBytes: number
  readonly #segmentMaxBytes: number
  readonly #logger: Logger
  readonly #closed: Segment[] = []
  #current: (Segment & { fd: number; records: number }) | null = null
  #nextNumber: number
  #bytes = 0
  #dirty = false
  #replay: { segment: Segment; ops: CaptureOp[]; cursor: number } | null = null
  #fsyncTimer: NodeJS.Timeout
  #waiters: (() => void)[] = []
  #stats = { spilled: 0, replayed: 0, refused: 0 }

  constructor(options: SpoolOptions) {
    this.#dir = options.dir
    this.#maxBytes = options.maxBytes
    this.#segmentMaxBytes = options.segmentMaxBytes ?? 16 * 1024 * 1024
    this.#logger = options.logger
    mkdirSync(this.#dir, { recursive: true })
    const existing = readdirSync(this.#dir).filter((f) => SEGMENT_PATTERN.test(f)).sort()
    for (const name of existing) {
      const file = path.join(this.#dir, name)
      const bytes = statSync(file).size
      if (bytes === 0) unlinkSync(file)
      else this.#closed.push({ file, bytes })
      this.#bytes += bytes
    }
    const last = existing.at(-1)
    this.#nextNumber = last ? Number(SEGMENT_PATTERN.exec(last)![1]) + 1 : 1
    if (this.#closed.length > 0) this.#logger.info({ segments: this.#closed.length, bytes: this.#bytes }, 'capture spool holds records from a previous run; replaying them')
    this.#fsyncTimer = setInterval(() => this.#sync(), options.fsyncIntervalMs ?? 1_000).unref()
  }

  /** Bytes of segment files on disk. */
  get bytes(): number {
    return this.#bytes
  }

  /** True while some op waits in the spool (including one being replayed). */
  get hasBacklog(): boolean {
    return this.#replay !== null || this.#closed.length > 0 || (this.#current?.records ?? 0) > 0
  }

  get stats() {
    return { ...this.#stats, bytes: this.#bytes }
  }

  /** Writes an op to disk; false when that would cross `maxBytes` (the caller counts the drop). */
  append(op: CaptureOp): boolean {
    const frame = encodeOp(op)
    if (this.#bytes + frame.length > this.#maxBytes) {
      this.#stats.refused++
      return false
    }
    const current = (this.#current ??= this.#openSegment())
    writeSync(current.fd, frame)
    current.bytes += frame.length
    current.records++
    this.#bytes += frame.length
    this.#stats.spilled++
    this.#dirty = true
    if (current.bytes >= this.#segmentMaxBytes) this.#closeCurrent()
    for (const wake of this.#waiters.splice(0)) wake()
    return true
  }

  /** Resolves once the spool has a backlog (at once if it has one). */
  whenNotEmpty(): Promise<void> {
    if (this.hasBacklog) return Promise.resolve()
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  /** The oldest ops not yet acknowledged, at most `maxItems`; null when the spool is empty. */
  nextBatch(maxItems: number): SpoolBatch | null {
    const replay = this.#replay ?? this.#loadOldest()
    if (!replay) return null
    const ops = replay.ops.slice(replay.cursor, replay.cursor + maxItems)
    return {
      ops,
      ack: () => {
        replay.cursor += ops.length
        this.#stats.replayed += ops.length
        if (replay.cursor >= replay.ops.length) this.#finish(replay.segment)
      },
    }
  }

  /** Flushes to disk and closes the open segment; the spool is replayed on the next start. */
  close(): void {
    clearInterval(this.#fsyncTimer)
    this.#closeCurrent()
  }

  #openSegment() {
    const file = path.join(this.#dir, `${String(this.#nextNumber++).padStart(16, '0')}.spool`)
    return { file, bytes: 0, records: 0, fd: openSync(file, 'a') }
  }

  #closeCurrent(): void {
    const current = this.#current
    if (!current) return
    this.#current = null
    fsyncSync(current.fd)
    closeSync(current.fd)
    if (current.bytes > 0) this.#closed.push({ file: current.file, bytes: current.bytes })
    else unlinkSync(current.file)
  }

  #loadOldest(): { segment: Segment; ops: CaptureOp[]; cursor: number } | null {
    // Replay only reads closed segments; close the open one when it is all that is left.
    if (this.#closed.length === 0 && (this.#current?.records ?? 0) > 0) this.#closeCurrent()
    const segment = this.#closed.shift()
    if (!segment) return null
    const { ops, tornAtByte } = decodeOps(readFileSync(segment.file))
    if (tornAtByte !== null) this.#logger.warn({ file: segment.file, tornAtByte, kept: ops.length }, 'capture spool segment ends in a torn write (a crash); the intact records before it are replayed')
    if (ops.length === 0) {
      this.#finish(segment)
      return this.#loadOldest()
    }
    this.#replay = { segment, ops, cursor: 0 }
    return this.#replay
  }

  #finish(segment: Segment): void {
    this.#replay = null
    unlinkSync(segment.file)
    this.#bytes -= segment.bytes
  }

  #sync(): void {
    if (!this.#dirty || !this.#current) return
    this.#dirty = false
    fsyncSync(this.#current.fd)
  }
}
