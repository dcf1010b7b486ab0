import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import type { Logger } from '../logger'
import { fieldsAroundBody } from '../records/request-body'
import type { LiveBus, LiveBusLink, LiveEvent } from './live-bus'
import { createMemoryBus, type MemoryBusOptions } from './memory-bus'

export interface RedisBusOptions extends MemoryBusOptions {
  /** e.g. redis://127.0.0.1:6379 */
  url: string
  /** The pub/sub channel every instance shares; instances on other channels never meet. @default 'claudescope:live' */
  channel?: string
  /**
   * Request events whose bodies together exceed this many bytes are shared without them: other
   * instances' subscribers then read the bodies from the database, once the record is written.
   * @default 1 MiB
   */
  maxSharedBodyBytes?: number
  logger: Logger
}

/** A Date inside an event, as it crosses Redis (JSON has no dates). */
const DATE_TAG = '$date'

interface Envelope {
  /** The publishing instance, so it skips its own events when Redis echoes them back. */
  origin: string
  event: LiveEvent
}

/**
 * The LiveBus of several instances: events are delivered on this instance at once, through a
 * memory bus (so its subscribe-then-replay guarantee holds), and shared through Redis pub/sub with
 * every other instance, which delivers them to its own subscribers. One connection publishes, so
 * the events of a request reach other instances in the order they were published.
 *
 * Redis never holds up forwarding or capture: publishing does not queue while Redis is away (the
 * events other instances miss are counted), and both connections reconnect on their own.
 */
export function createRedisBus(options: RedisBusOptions): LiveBus & { /** Settles once connected both ways for the first time. */ ready: Promise<void> } {
  const { url, logger } = options
  const channel = options.channel ?? 'claudescope:live'
  const maxSharedBodyBytes = options.maxSharedBodyBytes ?? 1024 * 1024
  const local = createMemoryBus(options)
  const origin = randomUUID()
  const link: LiveBusLink = { transport: 'redis', connected: false, unsharedEvents: 0, interruptions: 0, lastInterruptionAt: null }

  const retryStrategy = (attempt: number) => Math.min(100 * 2 ** Math.min(attempt, 6), 5000)
  // No offline queue: while Redis is away a publish fails at once instead of piling up in memory.
  const publisher = new Redis(url, { enableOfflineQueue: false, enableAutoPipelining: true, maxRetriesPerRequest: 0, retryStrategy, lazyConnect: true })
  // The subscriber subscribes on each connection (below), so it knows when others' events flow again.
  const subscriber = new Redis(url, { autoResubscribe: false, retryStrategy, lazyConnect: true })
  let closed = false

  const onError = (err: Error) => {
    if (!closed) logger.debug({ err }, 'redis live bus connection error')
  }
  publisher.on('error', onError)
  subscriber.on('error', onError)
  let onConnected = () => {}
  const firstConnected = new Promise<void>((resolve) => (onConnected = resolve))
  // Connected means both ways: events published here go out, and others' events come in.
  const ready = { publisher: false, subscriber: false }
  const setReady = (side: keyof typeof ready, value: boolean) => {
    ready[side] = value
    const connected = ready.publisher && ready.subscriber
    if (connected === link.connected || closed) return
    link.connected = connected
    if (connected) {
      onConnected()
      logger.info({ channel }, 'live events shared through Redis')
    } else {
      link.interruptions++
      link.lastInterruptionAt = new Date()
      logger.warn({ channel }, 'Redis connection lost: live events are not shared between instances until it is back')
    }
    // Subscribers here learn that others' events were (or are again) reaching them.
    local.publish({ kind: 'link', link: { ...link } })
  }
  publisher.on('ready', () => setReady('publisher', true))
  publisher.on('close', () => setReady('publisher', false))
  // A subscriber is ready for others' events once its SUBSCRIBE is in place again, not at connect.
  subscriber.on('close', () => setReady('subscriber', false))
  subscriber.on('message', (_channel: string, message: string) => {
    let envelope: Envelope
    try {
      envelope = JSON.parse(message, reviveDates) as Envelope
    } catch {
      logger.warn({ channel }, 'ignored a live event from Redis that is not JSON')
      return
    }
    if (envelope.origin !== origin) local.publishFromElsewhere(envelope.event)
  })

  subscriber.on('ready', () => {
    subscriber.subscribe(channel).then(
      () => setReady('subscriber', true),
      () => {},
    )
  })
  // Failed first attempts are retried by ioredis itself (retryStrategy).
  publisher.connect().catch(() => {})
  subscriber.connect().catch(() => {})

  return {
    ready: firstConnected,

    publish(event) {
      if (closed) return
      local.publish(event)
      if (publisher.status !== 'ready') {
        link.unsharedEvents++
        return
      }
      const message = JSON.stringify({ origin, event: sharedForm(event, maxSharedBodyBytes) } satisfies Envelope, tagDates)
      publisher.publish(channel, message).catch(() => {
        link.unsharedEvents++
      })
    },

    subscribe: (accept, subscribeOptions) => local.subscribe(accept, subscribeOptions),
    chunksSoFar: (requestId) => local.chunksSoFar(requestId),
    // Another instance may be showing any stream: capture parses every stream as it arrives.
    hasChunkSubscribers: true,
    onChunksWanted: (publishPending) => local.onChunksWanted(publishPending),
    hasFinished: (requestId) => local.hasFinished(requestId),
    get subscriberCount() {
      return local.subscriberCount
    },
    get droppedEvents() {
      return local.droppedEvents
    },
    get replayEvictions() {
      return local.replayEvictions
    },
    get link() {
      return { ...link }
    },

    async close() {
      closed = true
      await local.close()
      await Promise.allSettled([publisher.quit(), subscriber.quit()])
      publisher.disconnect()
      subscriber.disconnect()
    },
  }
}

/** The event as other instances get it: a request's bodies are left out past the size bound, a chunk's backlog always. */
function sharedForm(event: LiveEvent, maxBodyBytes: number): LiveEvent {
  // A backlog is this instance's memory: others keep the chunks they are sent.
  if (event.kind === 'chunk' && event.backlog !== undefined) return { kind: 'chunk', chunk: event.chunk, request: event.request }
  if (event.kind !== 'request') return event
  const { record } = event
  // The request body's size from the record: reading the body would decode it.
  const bytes = record.requestBodyBytes + (record.responseBody?.length ?? 0) + (record.responseSse?.length ?? 0)
  if (bytes <= maxBodyBytes) return event
  const { responseBody: _b, responseSse: _s, ...summary } = fieldsAroundBody(record)
  return { kind: 'request', record: summary as typeof record }
}

/** JSON.stringify replacer: `this[key]` is the value before Date's own toJSON turned it into a string. */
function tagDates(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key]
  return raw instanceof Date ? { [DATE_TAG]: raw.toISOString() } : value
}

function reviveDates(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const tagged = (value as Record<string, unknown>)[DATE_TAG]
    if (typeof tagged === 'string' && Object.keys(value).length === 1) return new Date(tagged)
  }
  return value
}
