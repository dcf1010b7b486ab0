import type { RateLimitSnapshotRecord } from '../records/rate-limit-snapshot'
import type { RequestRecord, StreamChunkRecord } from '../records/request-record'

/**
 * Live events, published by capture before any database write and consumed by GraphQL
 * subscriptions; and settings invalidations, published after a settings change committed. A plain
 * union on `kind`.
 */
export type LiveEvent =
  | { kind: 'request'; record: RequestRecord }
  | { kind: 'chunk'; chunk: StreamChunkRecord; request: LiveRequestMeta; backlog?: ChunkBacklog }
  | SettingsChangedEvent
  /** A response's rate-limit headers, as soon as they arrived. */
  | { kind: 'rateLimit'; snapshot: RateLimitSnapshotRecord }
  /** A conversation's rows changed (a turn was grouped into it, or its totals moved), once committed. */
  | { kind: 'conversation'; conversationId: string }
  /** This instance's link to the others broke or came back; delivered on this instance only, never shared. */
  | { kind: 'link'; link: LiveBusLink }

/**
 * Settings of `section` changed in the database: every instance reloads that section from it. It
 * carries no settings, only names, so it stays small and JSON-safe for a bus between processes,
 * and a lost or repeated event costs one reload at worst.
 */
export interface SettingsChangedEvent {
  kind: 'settings'
  /** e.g. `headerRules`. */
  section: string
  /** The instance that made the change (it has reloaded already). */
  origin: string
}

/**
 * The chunks of a stream so far, kept by the instance recording it: the bus asks it for them
 * instead of holding every chunk itself (see kept-stream). Never shared with other instances.
 */
export interface ChunkBacklog {
  records(): StreamChunkRecord[]
}

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
   * The kinds of event the subscriber takes; the bus passes it no other. Worth naming for any that
   * leaves out `chunk`: while no open subscriber takes chunks, capture parses a stream once, when it
   * ended, rather than event by event as it arrives (see `hasChunkSubscribers`). @default every kind
   */
  kinds?: readonly LiveEvent['kind'][]
  /**
   * The process's own listener (metrics), not a client's: left out of `subscriberCount`, which
   * tells operators how many dashboards and API clients are watching. @default false
   */
  internal?: boolean
  /** Only events published on this instance, none shared by others (per-instance metrics). @default false */
  localOnly?: boolean
}

/** How this instance shares live events with others, for health and metrics. */
export interface LiveBusLink {
  /** `memory`: this instance alone; `redis`: shared through Redis pub/sub. */
  transport: 'memory' | 'redis'
  /** Whether events of other instances arrive now (always true for `memory`). */
  connected: boolean
  /** Events published here that other instances never got (Redis was away), since start. */
  unsharedEvents: number
  /** Times the link to other instances broke, since start; their events meanwhile are missed here. */
  interruptions: number
  lastInterruptionAt: Date | null
}

/**
 * The event bus between capture and subscribers. Publishing is fire-and-forget and never throws.
 * Implementations: in-process (memory-bus), and Redis pub/sub between instances (redis-bus).
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
   * Whether some subscriber may take stream chunks now: one that takes them is open here, or, on a
   * bus shared between instances, always (others' subscribers are not known here). Capture parses a
   * stream as it arrives only while this holds; otherwise it keeps the bytes and publishes the
   * stream's events when the chunks are wanted (see `onChunksWanted`) or the stream ends.
   */
  readonly hasChunkSubscribers: boolean
  /**
   * Registers capture's way to publish the stream events it holds unparsed. The bus calls it with
   * null before it adds a subscriber that takes chunks, and with a request's id before `chunksSoFar`
   * answers for it, so that both find every event that has arrived.
   */
  onChunksWanted(publishPending: (requestId: string | null) => void): void
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
  readonly link: LiveBusLink
  close(): Promise<void>
}
