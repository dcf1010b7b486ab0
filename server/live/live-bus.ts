import type { RequestRecord, StreamChunkRecord } from '../capture/request-record'

/**
 * Live events, published by capture before any database write and consumed by GraphQL
 * subscriptions. A plain union on `kind`.
 */
export type LiveEvent =
  | { kind: 'request'; record: RequestRecord }
  | { kind: 'chunk'; chunk: StreamChunkRecord; request: LiveRequestMeta }

/** What a chunk subscriber may filter on without looking the request up. */
export interface LiveRequestMeta {
  id: string
  model: string | null
  path: string
  stream: boolean
  apiKeyFingerprint: string | null
}

/**
 * The event bus between capture and subscribers. Publishing is fire-and-forget and never throws.
 * Implementations: in-process (memory-bus) now; Redis for several instances later.
 */
export interface LiveBus {
  publish(event: LiveEvent): void
  /** Every event from now on that `accept` lets through, until the iterator is returned. */
  subscribe(accept?: (event: LiveEvent) => boolean): AsyncIterableIterator<LiveEvent>
  /**
   * Chunks of an in-flight request seen so far, for a subscriber joining mid-stream.
   * Undefined when the request is not in flight on this bus (finished: read the store).
   */
  chunksSoFar(requestId: string): StreamChunkRecord[] | undefined
  /** Number of open subscriptions (for /metrics). */
  readonly subscriberCount: number
  close(): Promise<void>
}
