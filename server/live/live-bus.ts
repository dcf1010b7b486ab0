import type { RequestRecord, StreamChunkRecord } from '../records/request-record'

/**
 * Live events, published by capture before any database write and consumed by GraphQL
 * subscriptions. A plain union on `kind`.
 */
export type LiveEvent =
  | { kind: 'request'; record: RequestRecord }
  | { kind: 'chunk'; chunk: StreamChunkRecord; request: LiveRequestMeta }
  /** A conversation's rows changed (a turn was grouped into it, or its totals moved), once committed. */
  | { kind: 'conversation'; conversationId: string }

/** What a chunk subscriber may filter on without looking the request up. */
export interface LiveRequestMeta {
  id: string
  model: string | null
  path: string
  stream: boolean
  apiKeyFingerprint: string | null
}

export interface SubscribeOptions {
  /**
   * The process's own listener (metrics), not a client's: left out of `subscriberCount`, which
   * tells operators how many dashboards and API clients are watching. @default false
   */
  internal?: boolean
}

/**
 * The event bus between capture and subscribers. Publishing is fire-and-forget and never throws.
 * Implementations: in-process (memory-bus) now; Redis for several instances later.
 */
export interface LiveBus {
  publish(event: LiveEvent): void
  /** Every event from now on that `accept` lets through, until the iterator is returned. */
  subscribe(accept?: (event: LiveEvent) => boolean, options?: SubscribeOptions): AsyncIterableIterator<LiveEvent>
  /**
   * Chunks of a request seen so far, for a subscriber joining mid-stream. Kept a few seconds
   * after the request finished, until the store surely has them. Undefined when the bus holds
   * none (never seen here, released, or evicted to bound memory): read the store.
   */
  chunksSoFar(requestId: string): StreamChunkRecord[] | undefined
  /**
   * True when the request's final event already passed while its chunks are still held, so a
   * late subscriber replays `chunksSoFar` and completes instead of waiting for live chunks.
   */
  hasFinished(requestId: string): boolean
  /** Open subscriptions of clients (GraphQL subscriptions), internal ones not counted; for /metrics and health. */
  readonly subscriberCount: number
  /** Events any subscriber lost because its buffer was full, since start. */
  readonly droppedEvents: number
  /** Requests in flight whose replay buffer was released early to respect the bounds, since start. */
  readonly replayEvictions: number
  close(): Promise<void>
}
