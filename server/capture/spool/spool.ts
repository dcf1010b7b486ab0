import { close as closeFd, closeSync, fsync as fsyncFd, fsyncSync, ftruncateSync, openSync, readSync, readdirSync, statSync, unlinkSync, writevSync } from 'node:fs'
import { open, readFile } from 'node:fs/promises'
import path from 'node:path'
import type { Logger } from '../../logger'
import { acquireExclusiveLock, describeHolder, type ExclusiveLock } from '../../files/exclusive-lock'
import { ensurePrivateDir, makeTreePrivate, PRIVATE_FILE_MODE } from '../../files/private-files'
import { CaptureError } from '../capture-error'
import type { CaptureOp } from '../capture-op'
import { encodeOp, FRAME_HEADER_BYTES, readFrame } from './spool-codec'

export interface SpoolOptions {
  /** Directory of segment files (DATA_DIR/spool), created if missing. */
  dir: string
  /** Bound on the segment files together; an append past it is refused. @default 1 GiB (SPOOL_MAX_BYTES) */
  maxBytes: number
  logger: Logger
  /**
   * A segment is closed, and a new one started, past this size; replay holds one segment in memory.
   * Under the bench's conversation load, 4 MiB segments peaked 14 MiB lower than 16 MiB ones and
   * cost 0.4 ms less CPU per request until every record was stored (four of each, two runs).
   * @default 4 MiB
   */
  segmentMaxBytes?: number
  /** Appended data reaches the disk at least this often. @default 1_000 */
  fsyncIntervalMs?: number
  /** Flushes a file descriptor to disk off the event loop (tests slow it down). @default fs.fsync on the thread pool */
  fsync?: (fd: number) => Promise<void>
  /** Reads a whole segment for replay, off the event loop (tests slow it down). @default fs/promises readFile */
  readFile?: (file: string) => Promise<Buffer>
  /** Called after each run of the fsync timer, whether or not it had anything to sync (tests count the runs). */
  onSyncTimer?: () => void
}

const fsyncOffLoop = (fd: number) => new Promise<void>((resolve, reject) => fsyncFd(fd, (err) => (err ? reject(err) : resolve())))

/** Ops read back from the spool, removed from it only by `ack` once the database holds them. */
export interface SpoolBatch {
  ops: CaptureOp[]
  ack(): void
}

/**
 * Why an op went to disk, as /metrics labels it: the queue was full; the database failed; a write
 * hung (the ops that waited behind it, and a copy of the batch it held); or capture stopped with
 * ops still in memory.
 */
export const SPILL_REASONS = ['queue_full', 'database_failing', 'database_stalled', 'shutdown'] as const
export type SpillReason = (typeof SPILL_REASONS)[number]

export interface SpoolStats {
  /** Bytes of segment files on disk. */
  bytes: number
  /** Ops on disk not yet acknowledged. */
  records: number
  /** Ops appended since start: the sum of `spilledBy`. */
  spilled: number
  /** `spilled`, by why each op went to disk. */
  spilledBy: Record<SpillReason, number>
  /** Ops replayed and acknowledged since start. */
  replayed: number
  /** Appends refused: the bound was reached, or the disk failed. */
  refused: number
  /** fsync calls made by the timer and at segment close. */
  fsyncs: number
}

interface Segment {
  file: string
  bytes: number
  /** Frames not yet acknowledged (counted from headers at start, so a torn tail may count one too many). */
  records: number
  /**
   * Appended by this process, every write whole or cut back: nothing can have torn its frames,
   * so replay skips their checksums, which cost as much as the rest of replay together.
   */
  writtenWhole: boolean
}

interface OpenSegment extends Segment {
  fd: number
  /** The fsync running on this descriptor, if any: the descriptor is closed only after it. */
  syncing: Promise<void> | null
}

interface Replay {
  segment: Segment
  data: Buffer
  /** Start of the first frame not yet acknowledged. */
  offset: number
  /** The batch handed out and not yet acknowledged: handed out again until it is. */
  pending: SpoolBatch | null
}

const SEGMENT_PATTERN = /^(\d{16})\.spool$/
/** Ids remembered as committed after their spooled copy was written; past this, copies are simply replayed. */
const MAX_COMMITTED_COPIES = 100_000
const ERROR_LOG_INTERVAL_MS = 10_000

/**
 * Append-only disk spool for capture ops the database could not take in time, owned by one
 * process at a time (the exclusive lock `<dir>.lock`, taken over from a dead owner; SPOOL_LOCKED otherwise). Appends are
 * synchronous writes to the page cache, so they survive the process being killed; a timer fsyncs
 * them at least once a second against machine crashes. Replay reads the oldest segment, decodes
 * one batch at a time, and deletes the segment once every op in it is acknowledged; a crash in
 * between replays the segment again, which the writer's upserts (by id, completed once) make
 * harmless. A frame torn by a crash ends its segment's replay; the frames before it are kept.
 */
export class Spool {
  readonly #dir: string
  readonly #maxBytes: number
  readonly #segmentMaxBytes: number
  readonly #logger: Logger
  readonly #closed: Segment[] = []
  #current: OpenSegment | null = null
  readonly #fsync: (fd: number) => Promise<void>
  readonly #readFile: (file: string) => Promise<Buffer>
  #nextNumber: number
  #bytes = 0
  #records = 0
  #dirty = false
  #directoryDirty = false
  #isClosed = false
  readonly #lock: ExclusiveLock
  #replay: Replay | null = null
  /** id → kind of ops committed after a copy of them was spooled (see `markCommitted`). */
  readonly #committed = new Map<string, CaptureOp['kind']>()
  #fsyncTimer: NodeJS.Timeout
  #waiters: (() => void)[] = []
  #lastErrorLogAt = Number.NEGATIVE_INFINITY
  #stats = { replayed: 0, refused: 0, fsyncs: 0 }
  readonly #spilledBy = Object.fromEntries(SPILL_REASONS.map((reason) => [reason, 0])) as Record<SpillReason, number>

  constructor(options: SpoolOptions) {
    this.#dir = options.dir
    this.#maxBytes = options.maxBytes
    this.#segmentMaxBytes = options.segmentMaxBytes ?? 4 * 1024 * 1024
    this.#logger = options.logger
    this.#fsync = options.fsync ?? fsyncOffLoop
    this.#readFile = options.readFile ?? readFile
    ensurePrivateDir(this.#dir)
    makeTreePrivate(this.#dir)
    const lock = acquireExclusiveLock(`${this.#dir}.lock`, { onLost: () => this.#onLockLost() })
    if (!lock.acquired) {
      throw new CaptureError('SPOOL_LOCKED', `Another Claudescope (${describeHolder(lock.holder)}) uses the capture spool in ${this.#dir}. Give each instance its own DATA_DIR.`)
    }
    this.#lock = lock.lock
    const existing = readdirSync(this.#dir).filter((f) => SEGMENT_PATTERN.test(f)).sort()
    for (const name of existing) {
      const file = path.join(this.#dir, name)
      const bytes = statSync(file).size
      if (bytes === 0) {
        unlinkSync(file)
        continue
      }
      const records = countFrames(file, bytes)
      this.#closed.push({ file, bytes, records, writtenWhole: false })
      this.#bytes += bytes
      this.#records += records
    }
    const last = existing.at(-1)
    this.#nextNumber = last ? Number(SEGMENT_PATTERN.exec(last)![1]) + 1 : 1
    if (this.#closed.length > 0) this.#logger.info({ segments: this.#closed.length, bytes: this.#bytes, records: this.#records }, 'capture spool holds records from a previous run; replaying them')
    const onSyncTimer = options.onSyncTimer
    this.#fsyncTimer = setInterval(() => {
      this.#sync()
      onSyncTimer?.()
    }, options.fsyncIntervalMs ?? 1_000).unref()
  }

  /** Bytes of segment files on disk. */
  get bytes(): number {
    return this.#bytes
  }

  /** True while some op waits in the spool (including a batch being replayed). */
  get hasBacklog(): boolean {
    return this.#records > 0 || this.#replay !== null
  }

  get stats(): SpoolStats {
    const spilledBy = { ...this.#spilledBy }
    const spilled = SPILL_REASONS.reduce((sum, reason) => sum + spilledBy[reason], 0)
    return { ...this.#stats, spilled, spilledBy, bytes: this.#bytes, records: this.#records }
  }

  /** Writes an op to disk, counted under `reason`; false when that would cross `maxBytes`, or the disk fails (the caller counts the drop). Never throws. */
  append(op: CaptureOp, reason: SpillReason): boolean {
    if (this.#isClosed) return false
    let frame: Buffer[]
    try {
      frame = encodeOp(op)
    } catch (err) {
      return this.#refuse(err, 'capture op could not be serialised for the spool')
    }
    const frameBytes = frame.reduce((sum, piece) => sum + piece.length, 0)
    if (this.#bytes + frameBytes > this.#maxBytes) {
      this.#stats.refused++
      return false
    }
    let current: OpenSegment
    try {
      current = this.#current ??= this.#openSegment()
      writeFully(current.fd, frame)
    } catch (err) {
      // A partial write (disk full) would tear the segment mid-way: cut it back to its last frame.
      if (this.#current) {
        try {
          ftruncateSync(this.#current.fd, this.#current.bytes)
        } catch {
          this.#current.writtenWhole = false
          this.#closeCurrent()
        }
      }
      return this.#refuse(err, 'capture spool write failed')
    }
    current.bytes += frameBytes
    current.records++
    this.#bytes += frameBytes
    this.#records++
    this.#spilledBy[reason]++
    this.#dirty = true
    if (current.bytes >= this.#segmentMaxBytes) this.#closeCurrent()
    for (const wake of this.#waiters.splice(0)) wake()
    return true
  }

  /**
   * Tells the spool that these ops reached the database after a copy of them was appended (a
   * commit that stalled past the spill delay, then went through), so replay skips the copies
   * instead of writing them again. Forgotten at restart, where the copies replay harmlessly.
   */
  markCommitted(ops: readonly CaptureOp[]): void {
    for (const op of ops) {
      if (this.#committed.size >= MAX_COMMITTED_COPIES) return
      if (this.#committed.get(op.record.id) !== 'complete') this.#committed.set(op.record.id, op.kind)
    }
  }

  /** Resolves once the spool has a backlog (at once if it has one). */
  whenNotEmpty(): Promise<void> {
    if (this.hasBacklog) return Promise.resolve()
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  /**
   * The oldest ops not yet acknowledged: at most `maxItems`, and no more than `maxBytes` of frames
   * unless one frame alone is larger. The same batch comes back until it is acknowledged. Null when
   * the spool is empty.
   */
  async nextBatch(maxItems: number, maxBytes = Number.POSITIVE_INFINITY): Promise<SpoolBatch | null> {
    if (this.#isClosed) return null
    for (;;) {
      const replay = this.#replay ?? (await this.#loadOldest())
      if (!replay) return null
      if (replay.pending) return replay.pending
      const ops: CaptureOp[] = []
      let offset = replay.offset
      let frames = 0
      while (ops.length < maxItems && offset < replay.data.length) {
        const frame = readFrame(replay.data, offset, { verifyChecksum: !replay.segment.writtenWhole })
        if (frame.kind === 'torn') {
          this.#logger.warn({ file: replay.segment.file, tornAtByte: offset }, 'capture spool segment ends in a torn write (a crash); the intact records before it are replayed')
          offset = replay.data.length
          break
        }
        if (ops.length > 0 && frame.end - replay.offset > maxBytes) break
        frames++
        offset = frame.end
        if (frame.kind === 'unreadable') {
          this.#logger.error({ file: replay.segment.file, atByte: offset, err: frame.error }, 'capture spool record could not be decoded; skipped')
          continue
        }
        if (!this.#isCommittedCopy(frame.op)) ops.push(frame.op)
      }
      const end = offset
      const ack = () => {
        if (this.#replay !== replay || replay.pending !== batch) return
        replay.pending = null
        replay.offset = end
        replay.segment.records -= frames
        this.#records -= frames
        this.#stats.replayed += ops.length
        if (end >= replay.data.length) this.#finish(replay)
      }
      const batch: SpoolBatch = { ops, ack }
      if (ops.length > 0) return (replay.pending = batch)
      replay.pending = batch
      ack() // nothing left to write in these frames (committed copies, undecodable)
    }
  }

  /** Flushes to disk and closes the open segment; the spool is replayed on the next start. Appends are refused from now on. */
  close(): void {
    if (this.#isClosed) return
    this.#isClosed = true
    clearInterval(this.#fsyncTimer)
    this.#closeCurrent({ waitForDisk: true })
    this.#syncDirectory()
    this.#lock.release()
  }

  /** Another process took the spool over (this one looked dead to it): stop touching its files. */
  #onLockLost(): void {
    this.#logger.error({ dir: this.#dir }, 'another process took over the capture spool; this one stops spooling (records that cannot reach the database are dropped)')
    this.close()
  }

  #isCommittedCopy(op: CaptureOp): boolean {
    const committed = this.#committed.get(op.record.id)
    if (committed === undefined) return false
    if (committed === 'start' && op.kind === 'complete') return false
    if (committed === op.kind) this.#committed.delete(op.record.id)
    return true
  }

  #openSegment(): OpenSegment {
    const file = path.join(this.#dir, `${String(this.#nextNumber++).padStart(16, '0')}.spool`)
    const fd = openSync(file, 'a', PRIVATE_FILE_MODE)
    this.#directoryDirty = true
    return { file, bytes: 0, records: 0, writtenWhole: true, fd, syncing: null }
  }

  /**
   * Closes the open segment after flushing it to disk: on the thread pool, or, at shutdown
   * (`waitForDisk`), right here so it is on disk before the process exits.
   */
  #closeCurrent({ waitForDisk = false } = {}): void {
    const current = this.#current
    if (!current) return
    this.#current = null
    if (current.bytes > 0) this.#closed.push({ file: current.file, bytes: current.bytes, records: current.records, writtenWhole: current.writtenWhole })
    else unlinkQuietly(current.file)
    if (waitForDisk) {
      this.#countFsync(() => fsyncSync(current.fd))
      // A background fsync may still use the descriptor; it is closed once that ends.
      if (current.syncing) void current.syncing.finally(() => closeFd(current.fd, () => {}))
      else closeSync(current.fd)
      return
    }
    void this.#syncInBackground(current).finally(() => closeFd(current.fd, () => {}))
  }

  /** One fsync at a time per segment: a slow disk delays the next, never the event loop. */
  #syncInBackground(segment: OpenSegment): Promise<void> {
    const previous = segment.syncing ?? Promise.resolve()
    const syncing = previous.then(() =>
      this.#fsync(segment.fd).then(
        () => void this.#stats.fsyncs++,
        (err: unknown) => this.#logThrottled(err, 'capture spool fsync failed'),
      ),
    )
    segment.syncing = syncing
    void syncing.finally(() => {
      if (segment.syncing === syncing) segment.syncing = null
    })
    return syncing
  }

  #countFsync(fsync: () => void): void {
    try {
      fsync()
      this.#stats.fsyncs++
    } catch (err) {
      this.#logThrottled(err, 'capture spool fsync failed')
    }
  }

  /** Reads the oldest closed segment whole, off the event loop (a segment holds a few MiB, see segmentMaxBytes). */
  async #loadOldest(): Promise<Replay | null> {
    for (;;) {
      // Replay reads closed segments only; close the open one when it is all that is left.
      if (this.#closed.length === 0 && (this.#current?.records ?? 0) > 0) this.#closeCurrent()
      const segment = this.#closed.shift()
      if (!segment) return null
      let data: Buffer
      try {
        data = await this.#readFile(segment.file)
      } catch (err) {
        this.#logger.error({ err, file: segment.file }, 'capture spool segment could not be read; its records are lost')
        data = Buffer.alloc(0)
      }
      const replay: Replay = { segment, data, offset: 0, pending: null }
      if (data.length > 0) return (this.#replay = replay)
      this.#finish(replay)
    }
  }

  #finish(replay: Replay): void {
    this.#replay = null
    this.#records -= replay.segment.records
    replay.segment.records = 0
    this.#bytes -= replay.segment.bytes
    try {
      unlinkSync(replay.segment.file)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.#logThrottled(err, 'capture spool segment could not be deleted; it will be replayed again at the next start')
    }
  }

  #sync(): void {
    const current = this.#current
    if (this.#dirty && current && current.syncing === null) {
      this.#dirty = false
      void this.#syncInBackground(current)
    }
    if (this.#directoryDirty) {
      this.#directoryDirty = false
      // Some filesystems refuse fsync on a directory; the data itself is synced either way.
      void open(this.#dir, 'r').then((dir) => dir.sync().finally(() => dir.close())).catch(() => {})
    }
  }

  /** A new segment's name reaches the disk only when its directory is synced (here: at shutdown; the timer does it off the event loop). */
  #syncDirectory(): void {
    this.#directoryDirty = false
    let fd: number | undefined
    try {
      fd = openSync(this.#dir, 'r')
      fsyncSync(fd)
    } catch {
      // Some filesystems refuse fsync on a directory; the data itself was synced.
    } finally {
      if (fd !== undefined) closeSync(fd)
    }
  }

  #refuse(err: unknown, message: string): false {
    this.#stats.refused++
    this.#logThrottled(err, message)
    return false
  }

  #logThrottled(err: unknown, message: string): void {
    const now = Date.now()
    if (now - this.#lastErrorLogAt < ERROR_LOG_INTERVAL_MS) return
    this.#lastErrorLogAt = now
    this.#logger.error({ err, dir: this.#dir }, message)
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file)
  } catch {
    // Already gone.
  }
}

/** Writes the pieces in order, in one system call unless the kernel takes them in part. */
function writeFully(fd: number, pieces: Buffer[]): void {
  let left = pieces.filter((piece) => piece.length > 0)
  while (left.length > 0) {
    let written = writevSync(fd, left)
    while (left.length > 0 && written >= left[0]!.length) written -= left.shift()!.length
    if (written > 0) left[0] = left[0]!.subarray(written)
  }
}

/** Frames in a segment file, from their length headers alone (no payload is read). */
function countFrames(file: string, bytes: number): number {
  const fd = openSync(file, 'r')
  const header = Buffer.alloc(FRAME_HEADER_BYTES)
  let records = 0
  try {
    for (let offset = 0; offset + FRAME_HEADER_BYTES <= bytes; records++) {
      readSync(fd, header, 0, FRAME_HEADER_BYTES, offset)
      offset += FRAME_HEADER_BYTES + header.readUInt32LE(0)
      if (offset > bytes) break
    }
  } finally {
    closeSync(fd)
  }
  return records
}
