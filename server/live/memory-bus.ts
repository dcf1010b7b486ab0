import type { StreamChunkRecord } from '../records/request-record'
import type { ChunkBacklog, LiveBus, LiveEvent } from './live-bus'

/** A memory bus that also delivers events another instance published (see redis-bus). */
export interface MemoryBus extends LiveBus {
  /** Delivers an event published elsewhere: like `publish`, except to `localOnly` subscribers. */
  publishFromElsewhere(event: LiveEvent): void
}

export interface MemoryBusOptions {
  /**
   * Events a subscriber may have waiting before it loses its oldest ones (counted in
   * `droppedEvents`). A slow reader never makes the process grow without bound. @default 10_000
   */
  subscriberBufferSize?: number
  /**
   * How long a finished request's chunks stay available to late subscribers, bridging the time
   * between its final event and the capture writer having stored them (longer while the database
   * is slow). Memory stays bounded by `replayMaxBytes` regardless. @default 30_000
   */
  replayRetentionMs?: number
  /**
   * Bytes of chunks (wire size) held for replay across all requests. Past it, finished requests
   * are released first, then the oldest in-flight ones (counted in `replayEvictions`). @default 64 MiB
   */
  replayMaxBytes?: number
  /** Requests tracked for replay at once, in flight or recently finished. @default 10_000 */
  replayMaxRequests?: number
}

/**
 * One request's chunks so far, or the backlog of the instance recording it, which keeps them for
 * the bus; `expiresAt` is set once its final event passed.
 */
interface ReplayEntry {
  chunks: StreamChunkRecord[]
  backlog: ChunkBacklog | null
  bytes: number
  expiresAt: number | null
}

/**
 * The single-instance LiveBus: publish delivers synchronously into each subscriber's bounded
 * buffer, so subscribing and then reading `chunksSoFar` in the same tick can neither miss nor
 * duplicate a chunk.
 */
export function createMemoryBus(options: MemoryBusOptions = {}): MemoryBus {
  const bufferSize = options.subscriberBufferSize ?? 10_000
  const retentionMs = options.replayRetentionMs ?? 30_000
  const maxBytes = options.replayMaxBytes ?? 64 * 1024 * 1024
  const maxRequests = options.replayMaxRequests ?? 10_000

  const subscribers = new Set<Subscriber>()
  /** Subscribers opened with `internal`: delivered to like the others, not counted. */
  const internal = new Set<Subscriber>()
  /** Subscribers that take chunks (see `hasChunkSubscribers`). */
  const chunkSubscribers = new Set<Subscriber>()
  const chunksWanted = new Set<(requestId: string | null) => void>()
  /** In start order, so the first in-flight entry is the oldest. */
  const replay = new Map<string, ReplayEntry>()
  /** Finished entries in finish order; with a constant retention, also in expiry order. */
  const finished = new Set<string>()
  let replayBytes = 0
  let droppedEvents = 0
  let replayEvictions = 0
  let sweepTimer: NodeJS.Timeout | null = null
  let closed = false

  const release = (id: string) => {
    const entry = replay.get(id)
    if (!entry) return
    replay.delete(id)
    finished.delete(id)
    replayBytes -= entry.bytes
  }

  const evictOne = () => {
    const victim = finished.values().next().value ?? replay.keys().next().value
    if (victim === undefined) return false
    if (!finished.has(victim)) replayEvictions++
    release(victim)
    return true
  }

  const sweep = () => {
    sweepTimer = null
    const now = Date.now()
    for (const id of finished) {
      const expiresAt = replay.get(id)?.expiresAt ?? 0
      if (expiresAt > now) {
        scheduleSweep(expiresAt - now)
        return
      }
      release(id)
    }
  }

  const scheduleSweep = (delayMs: number) => {
    if (sweepTimer || closed) return
    sweepTimer = setTimeout(sweep, delayMs)
    sweepTimer.unref()
  }

  const track = (event: LiveEvent) => {
    if (event.kind === 'conversation') return
    if (event.kind === 'request') {
      const { id, status } = event.record
      if (status === 'IN_FLIGHT') {
        if (!replay.has(id)) addEntry(id)
        return
      }
      const entry = replay.get(id)
      if (!entry || entry.expiresAt !== null) return
      entry.expiresAt = Date.now() + retentionMs
      finished.add(id)
      scheduleSweep(retentionMs)
      return
    }
    if (event.kind !== 'chunk') return
    const { chunk } = event
    let entry = replay.get(chunk.requestId)
    // A request first seen mid-stream is not tracked: its backlog would start with a gap.
    if (!entry && chunk.seq === 0) entry = addEntry(chunk.requestId)
    if (!entry || entry.expiresAt !== null) return
    if (event.backlog === undefined) entry.chunks.push(chunk)
    else entry.backlog = event.backlog
    entry.bytes += chunk.bytes
    replayBytes += chunk.bytes
    while (replayBytes > maxBytes && evictOne());
  }

  const addEntry = (id: string) => {
    while (replay.size >= maxRequests && evictOne());
    const entry: ReplayEntry = { chunks: [], backlog: null, bytes: 0, expiresAt: null }
    replay.set(id, entry)
    return entry
  }

  const deliver = (event: LiveEvent, fromElsewhere: boolean) => {
    if (closed) return
    track(event)
    for (const subscriber of subscribers) {
      if (subscriber.offer(event, fromElsewhere)) droppedEvents++
    }
  }

  return {
    publish: (event) => deliver(event, false),
    publishFromElsewhere: (event) => deliver(event, true),

    subscribe(accept, subscribeOptions) {
      const kinds = subscribeOptions?.kinds
      const subscriber = new Subscriber(bufferSize, accept, kinds === undefined ? null : new Set(kinds), subscribeOptions?.localOnly ?? false, () => {
        subscribers.delete(subscriber)
        internal.delete(subscriber)
        chunkSubscribers.delete(subscriber)
      })
      if (closed) {
        subscriber.end()
        return subscriber
      }
      const takesChunks = kinds === undefined || kinds.includes('chunk')
      // Published before the subscriber is added: it reads them from `chunksSoFar`, not twice.
      if (takesChunks) for (const publishPending of chunksWanted) publishPending(null)
      subscribers.add(subscriber)
      if (subscribeOptions?.internal) internal.add(subscriber)
      if (takesChunks) chunkSubscribers.add(subscriber)
      return subscriber
    },

    chunksSoFar(requestId) {
      for (const publishPending of chunksWanted) publishPending(requestId)
      const entry = replay.get(requestId)
      return entry?.backlog?.records() ?? entry?.chunks.slice()
    },

    get hasChunkSubscribers() {
      return chunkSubscribers.size > 0
    },

    onChunksWanted(publishPending) {
      chunksWanted.add(publishPending)
    },

    hasFinished(requestId) {
      return (replay.get(requestId)?.expiresAt ?? null) !== null
    },

    get subscriberCount() {
      return subscribers.size - internal.size
    },
    get droppedEvents() {
      return droppedEvents
    },
    get replayEvictions() {
      return replayEvictions
    },
    get link() {
      return { transport: 'memory' as const, connected: true, unsharedEvents: 0, interruptions: 0, lastInterruptionAt: null }
    },

    async close() {
      closed = true
      if (sweepTimer) clearTimeout(sweepTimer)
      sweepTimer = null
      for (const subscriber of [...subscribers]) subscriber.end()
      replay.clear()
      finished.clear()
      chunksWanted.clear()
      replayBytes = 0
    },
  }
}

/**
 * One subscription: a bounded FIFO feeding an async iterator. `next()` resolves at once from the
 * buffer or waits for the next accepted event; `return()` ends it, resolving a waiting `next()`.
 */
class Subscriber implements AsyncIterableIterator<LiveEvent> {
  readonly #buffer: LiveEvent[] = []
  /** Index of the oldest unread event; the array is compacted when half of it is read. */
  #head = 0
  #waiting: ((result: IteratorResult<LiveEvent>) => void) | null = null
  #ended = false

  constructor(
    private readonly capacity: number,
    private readonly accept: ((event: LiveEvent) => boolean) | undefined,
    /** The kinds it takes; null for every kind. */
    private readonly kinds: ReadonlySet<LiveEvent['kind']> | null,
    private readonly localOnly: boolean,
    private readonly onEnd: () => void,
  ) {}

  /** Delivers an event if accepted; returns true when the buffer was full and the oldest was dropped. */
  offer(event: LiveEvent, fromElsewhere: boolean): boolean {
    if (this.#ended || (fromElsewhere && this.localOnly) || (this.kinds !== null && !this.kinds.has(event.kind)) || !this.#accepts(event)) return false
    if (this.#waiting) {
      const resolve = this.#waiting
      this.#waiting = null
      resolve({ value: event, done: false })
      return false
    }
    this.#buffer.push(event)
    if (this.#buffer.length - this.#head <= this.capacity) return false
    this.#head++
    this.#compact()
    return true
  }

  next(): Promise<IteratorResult<LiveEvent>> {
    if (this.#head < this.#buffer.length) {
      const value = this.#buffer[this.#head++]!
      this.#compact()
      return Promise.resolve({ value, done: false })
    }
    if (this.#ended) return Promise.resolve({ value: undefined, done: true })
    return new Promise((resolve) => {
      this.#waiting = resolve
    })
  }

  return(): Promise<IteratorResult<LiveEvent>> {
    this.end()
    return Promise.resolve({ value: undefined, done: true })
  }

  [Symbol.asyncIterator]() {
    return this
  }

  /** Ends the subscription: buffered events are discarded and a waiting `next()` completes. */
  end() {
    if (this.#ended) return
    this.#ended = true
    this.#buffer.length = 0
    this.#head = 0
    this.onEnd()
    const resolve = this.#waiting
    this.#waiting = null
    resolve?.({ value: undefined, done: true })
  }

  #accepts(event: LiveEvent) {
    try {
      return this.accept ? this.accept(event) : true
    } catch {
      // A throwing filter must not break publishing for everyone else.
      return false
    }
  }

  #compact() {
    if (this.#head > 1024 && this.#head * 2 > this.#buffer.length) {
      this.#buffer.splice(0, this.#head)
      this.#head = 0
    }
  }
}
