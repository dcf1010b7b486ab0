import { opBytes, replaces, type CaptureOp } from '../capture-op'

export interface BoundedQueueLimits {
  /** Most ops held at once; an op past it is refused and counted. @default 10_000 */
  maxItems: number
  /** Most approximate bytes held at once (see `opBytes`); an op past it is refused and counted. @default 64 MiB */
  maxBytes: number
}

interface Entry {
  op: CaptureOp
  bytes: number
  /** performance.now() when the request's first op was queued. */
  queuedAt: number
}

/**
 * FIFO of capture ops between the recorder and the batch writer, bounded in items and bytes so
 * memory stays bounded whatever the database does.
 *
 * It holds at most one op per request id: a `complete` that arrives while its `start` is still
 * queued takes the start's place (one row insert instead of insert + update), and a `start` never
 * replaces a queued `complete`.
 */
export class BoundedQueue {
  #entries: (Entry | undefined)[] = []
  #head = 0
  #byId = new Map<string, Entry>()
  #bytes = 0
  #refused = 0
  #waiters: (() => void)[] = []
  #fillWaiter: { items: number; bytes: number; resolve: () => void } | null = null

  constructor(readonly limits: BoundedQueueLimits) {}

  /** Ops held. */
  get depth(): number {
    return this.#byId.size
  }

  /** Approximate bytes held. */
  get bytes(): number {
    return this.#bytes
  }

  /** performance.now() when the oldest held op's request was first queued; undefined when empty. */
  get oldestQueuedAt(): number | undefined {
    return this.#entries[this.#head]?.queuedAt
  }

  /** Ops refused because a bound was reached, since start. */
  get refused(): number {
    return this.#refused
  }

  /**
   * Adds an op (or merges it into the queued op of the same request). Returns false, and counts
   * a refusal, when that would cross a bound; the caller decides where an overflowing op goes.
   */
  offer(op: CaptureOp): boolean {
    const bytes = opBytes(op)
    const queued = this.#byId.get(op.record.id)
    if (queued !== undefined) {
      if (!replaces(op, queued.op)) return true
      if (this.#bytes - queued.bytes + bytes > this.limits.maxBytes) return this.#refuse()
      this.#bytes += bytes - queued.bytes
      queued.op = op
      queued.bytes = bytes
      this.#checkFill()
      return true
    }
    if (this.#byId.size >= this.limits.maxItems || this.#bytes + bytes > this.limits.maxBytes) return this.#refuse()
    this.#append({ op, bytes, queuedAt: performance.now() })
    return true
  }

  /**
   * Removes and returns the oldest ops: at most `maxItems`, and no more than `maxBytes` unless a
   * single op alone is larger (it then travels alone).
   */
  take(maxItems: number, maxBytes = Number.POSITIVE_INFINITY): CaptureOp[] {
    const taken: CaptureOp[] = []
    let bytes = 0
    while (taken.length < maxItems && this.#head < this.#entries.length) {
      const entry = this.#entries[this.#head]!
      if (taken.length > 0 && bytes + entry.bytes > maxBytes) break
      this.#entries[this.#head++] = undefined
      this.#byId.delete(entry.op.record.id)
      this.#bytes -= entry.bytes
      bytes += entry.bytes
      taken.push(entry.op)
    }
    if (this.#head === this.#entries.length) {
      this.#entries = []
      this.#head = 0
    } else if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head)
      this.#head = 0
    }
    return taken
  }

  /** Removes and returns the ops queued before `cutoff` (a performance.now() time), oldest first. */
  takeQueuedBefore(cutoff: number): CaptureOp[] {
    let count = 0
    for (let i = this.#head; i < this.#entries.length && this.#entries[i]!.queuedAt < cutoff; i++) count++
    return count === 0 ? [] : this.take(count)
  }

  /**
   * Puts ops the writer could not write back at the front, in their order, skipping any that a
   * newer op of the same request supersedes. Ignores the bounds: these ops were held in memory
   * all along, so the queue exceeds its limits by at most one batch, and new ops are refused
   * until it drains below them.
   */
  requeue(ops: CaptureOp[]): void {
    const front: Entry[] = []
    // They were queued before anything held now: keep the entries in queuing order for takeQueuedBefore.
    const queuedAt = Math.min(performance.now(), this.oldestQueuedAt ?? Number.POSITIVE_INFINITY)
    for (const op of ops) {
      const queued = this.#byId.get(op.record.id)
      const bytes = opBytes(op)
      if (queued === undefined) {
        const entry = { op, bytes, queuedAt }
        front.push(entry)
        this.#byId.set(op.record.id, entry)
        this.#bytes += bytes
      } else if (replaces(op, queued.op)) {
        this.#bytes += bytes - queued.bytes
        queued.op = op
        queued.bytes = bytes
      }
    }
    this.#entries = [...front, ...this.#entries.slice(this.#head)]
    this.#head = 0
    if (front.length > 0) this.#wake()
    this.#checkFill()
  }

  /** Resolves once the queue holds at least one op (at once if it already does). */
  whenNotEmpty(): Promise<void> {
    if (this.depth > 0) return Promise.resolve()
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  /**
   * Resolves once the queue holds `items` ops or `bytes` bytes, at once if it does: a batch's
   * worth, which the writer stops lingering for. One waiter at a time; a call replaces the last.
   */
  whenHolds(items: number, bytes: number): Promise<void> {
    if (this.depth >= items || this.#bytes >= bytes) return Promise.resolve()
    return new Promise((resolve) => (this.#fillWaiter = { items, bytes, resolve }))
  }

  #append(entry: Entry): void {
    this.#entries.push(entry)
    this.#byId.set(entry.op.record.id, entry)
    this.#bytes += entry.bytes
    this.#wake()
    this.#checkFill()
  }

  #checkFill(): void {
    const waiter = this.#fillWaiter
    if (waiter === null || (this.depth < waiter.items && this.#bytes < waiter.bytes)) return
    this.#fillWaiter = null
    waiter.resolve()
  }

  #refuse(): false {
    this.#refused++
    return false
  }

  #wake(): void {
    if (this.#waiters.length === 0) return
    const waiters = this.#waiters
    this.#waiters = []
    for (const resolve of waiters) resolve()
  }
}
