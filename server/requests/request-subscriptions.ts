import type { RequestRecord, RequestStatus, StreamChunkRecord } from '../records/request-record'
import { UserInputError } from '../graphql/errors'
import type { LiveBus, LiveEvent } from '../live/live-bus'
import { matchesRequestFilter, type RequestFilterValues } from './request-filter'
import type { RequestsService } from './requests.service'

/** What `requestEvents` yields: kind IN_FLIGHT when a request starts, its final status when it ends. */
export interface RequestEventPayload {
  kind: RequestStatus
  request: RequestRecord
}

/**
 * Request starts and ends that match the filter. Each event is matched against the request as
 * known at that moment, so `statuses: [COMPLETED]` yields completions only.
 */
export function requestEvents(bus: LiveBus, filter: RequestFilterValues | null | undefined): AsyncIterableIterator<RequestEventPayload> {
  const source = bus.subscribe((event) => event.kind === 'request' && matchesRequestFilter(filter, event.record), { kinds: ['request'] })
  return closeWith(source, mapRequests(source))
}

async function* mapRequests(source: AsyncIterable<LiveEvent>): AsyncGenerator<RequestEventPayload> {
  for await (const event of source) {
    if (event.kind === 'request') yield { kind: event.record.status, request: event.record }
  }
}

/**
 * Every chunk of one request, then completion when the request ends. A subscriber joining
 * mid-stream first gets the chunks so far, then live ones: it subscribes to the bus before reading
 * the backlog and skips live chunks the backlog already held, so nothing is missed or repeated.
 * A request that already ended replays its chunks and completes.
 */
export function streamChunks(bus: LiveBus, requests: RequestsService, requestId: string): AsyncIterableIterator<StreamChunkRecord> {
  const source = bus.subscribe(
    (event) => (event.kind === 'chunk' ? event.chunk.requestId === requestId : event.kind === 'request' && event.record.id === requestId && event.record.status !== 'IN_FLIGHT'),
    { kinds: ['chunk', 'request'] },
  )
  return closeWith(source, followStream(source, bus, requests, requestId))
}

async function* followStream(
  source: AsyncIterable<LiveEvent>,
  bus: LiveBus,
  requests: RequestsService,
  requestId: string,
): AsyncGenerator<StreamChunkRecord> {
  let lastSeq = -1
  const backlog = bus.chunksSoFar(requestId)
  let finished = bus.hasFinished(requestId)
  if (!backlog) {
    const status = await requests.status(requestId)
    if (status === null) throw new UserInputError('REQUEST_NOT_FOUND', `No request with id ${requestId}`, 'requestId')
    finished = status !== 'IN_FLIGHT'
  }
  for (const chunk of backlog ?? (await requests.chunks(requestId))) {
    lastSeq = chunk.seq
    yield chunk
  }
  if (finished) return
  for await (const event of source) {
    if (event.kind !== 'chunk') return
    if (event.chunk.seq > lastSeq) {
      lastSeq = event.chunk.seq
      yield event.chunk
    }
  }
}

/**
 * Every chunk of every request that matches the filter, as the request is known when the chunk
 * arrives: its latest request event seen by this subscription, or for a request that started
 * before it, the few fields a chunk carries (conditions on anything else then do not hold).
 */
export function liveChunks(bus: LiveBus, filter: RequestFilterValues | null | undefined): AsyncIterableIterator<StreamChunkRecord> {
  const source = bus.subscribe(undefined, { kinds: ['request', 'chunk'] })
  return closeWith(source, matchChunks(source, filter))
}

/** In-flight requests a liveChunks subscription remembers at most. */
const MAX_TRACKED_REQUESTS = 10_000

async function* matchChunks(source: AsyncIterable<LiveEvent>, filter: RequestFilterValues | null | undefined): AsyncGenerator<StreamChunkRecord> {
  /** Whether each in-flight request seen starting matches; forgotten when it ends. */
  const matching = new Map<string, boolean>()
  for await (const event of source) {
    if (event.kind === 'request') {
      if (event.record.status !== 'IN_FLIGHT') matching.delete(event.record.id)
      else {
        matching.set(event.record.id, matchesRequestFilter(filter, event.record))
        // An end lost to a full subscriber buffer would leave its entry behind: keep the newest only.
        if (matching.size > MAX_TRACKED_REQUESTS) matching.delete(matching.keys().next().value!)
      }
    } else if (event.kind === 'chunk' && (matching.get(event.chunk.requestId) ?? matchesRequestFilter(filter, { ...event.request, status: 'IN_FLIGHT' }))) {
      yield event.chunk
    }
  }
}

/**
 * Ties a generator to the bus subscription it reads, so the subscription ends whenever the
 * generator does: finished, failed, or returned by the client. A generator parked on
 * `await source.next()` cannot act on `return()` until that settles, so returning it returns the
 * source first: the waiting read ends at once and the bus slot is freed immediately, not at the
 * next matching event.
 */
export function closeWith<T>(source: AsyncIterator<LiveEvent>, generator: AsyncGenerator<T>): AsyncIterableIterator<T> {
  const settle = async (step: Promise<IteratorResult<T>>) => {
    try {
      const result = await step
      if (result.done) await source.return?.()
      return result
    } catch (error) {
      await source.return?.()
      throw error
    }
  }
  return {
    next: () => settle(generator.next()),
    async return() {
      await source.return?.()
      return generator.return(undefined)
    },
    [Symbol.asyncIterator]() {
      return this
    },
  }
}
