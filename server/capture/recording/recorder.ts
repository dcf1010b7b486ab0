import type { LiveBus } from '../../live/live-bus'
import type { RequestRecord } from '../../records/request-record'
import type { Logger } from '../../logger'
import type { ExchangeOutcome, ExchangeResponse, ExchangeStart, ProxyObserver } from '../../proxy/proxy-observer'
import type { CaptureSink } from '../capture-op'
import { DeferredWork } from './deferred-work'
import { ExchangeRecording, type RecordingContext } from './exchange-recording'
import type { HeaderRedactor, TextRedactor } from './redact'

export interface RecorderOptions {
  /** Live events go here first, before anything is queued for the database. */
  bus: LiveBus
  /** Receives the start op and the completion op of every exchange. */
  sink: CaptureSink
  redactHeaders: HeaderRedactor
  /** Rewrites bodies, SSE, stream chunks, errors, the query and header values before anyone sees them; null keeps them as forwarded. @default null */
  redactText?: TextRedactor | null
  logger: Logger
  /** Named in every record, so the records of a process that died can be closed (see capture-runs). */
  runId: string
  /**
   * Most bytes kept per exchange of a response body (decoded), of a stream's raw SSE, and of its
   * stream chunks' data; what lies past it is not stored and the record's `error` says so.
   * @default 16 MiB
   */
  maxKeptBodyBytes?: number
  /**
   * Most bytes a compressed response is decompressed to for capture; past it decoding stops (a
   * decompression bomb costs neither memory nor CPU beyond it), the body keeps its decoded prefix
   * and the record's `error` says so. Forwarding is untouched: the client gets every byte.
   * @default 64 MiB
   */
  maxDecodedBytes?: number
  /** Gives a finished record its cost before it is published and queued, so live subscribers see it. @default none: the writer prices it */
  price?: (record: RequestRecord) => RequestRecord
}

/**
 * Capture's side of the proxy: turns each exchange's lifecycle into a RequestRecord (IN_FLIGHT at
 * start, final at end) plus its stream chunks, publishes them live, and hands them to the sink.
 *
 * Hooks run on the proxy's event loop after the bytes were forwarded, so they stay synchronous
 * and cheap. The proxy guards every hook (a throw is logged there and forwarding goes on); what
 * runs after a hook returned (publishing, the sink, deferred scans) is guarded here, since no
 * proxy frame is left to catch it. A failure costs at most that exchange's record. With
 * REDACT_PATTERNS, everything that scans text (building the records, redacting stream events)
 * runs as deferred work after the hook returned, in order. The proxy calls `onStart` before it
 * dispatches upstream, so the recording begins once the request was written (see `onStart`).
 */
export class Recorder implements ProxyObserver {
  readonly #bus: LiveBus
  readonly #sink: CaptureSink
  readonly #logger: Logger
  readonly #price: (record: RequestRecord) => RequestRecord
  readonly #context: RecordingContext
  readonly #recordings = new Map<string, ExchangeRecording>()
  /** Exchanges announced whose recording has not begun yet (see `onStart`). */
  readonly #starting = new Map<string, ExchangeStart>()
  /** Where pattern scans run: after the current I/O turn with patterns, at once without. */
  readonly #defer: (task: () => void) => void
  /** Ended exchanges whose compressed body is still being decoded. */
  #finishing = 0
  #finishedWaiters: (() => void)[] = []

  constructor(options: RecorderOptions) {
    this.#bus = options.bus
    this.#sink = options.sink
    this.#logger = options.logger
    this.#price = options.price ?? ((record) => record)
    const redactText = options.redactText ?? null
    const deferred = redactText === null ? null : new DeferredWork(options.logger)
    this.#defer = deferred === null ? (task) => task() : (task) => deferred.schedule(task)
    this.#context = {
      runId: options.runId,
      redactHeaders: options.redactHeaders,
      redactText,
      defer: this.#defer,
      maxKeptBodyBytes: options.maxKeptBodyBytes ?? 16 * 1024 * 1024,
      maxDecodedBytes: options.maxDecodedBytes ?? 64 * 1024 * 1024,
      logger: options.logger,
      onStreamChunk: (chunk, request, backlog) => this.#bus.publish(backlog === undefined ? { kind: 'chunk', chunk, request } : { kind: 'chunk', chunk, request, backlog }),
      areChunksWatched: () => this.#bus.hasChunkSubscribers,
    }
    this.#bus.onChunksWanted((requestId) => this.#parsePendingReads(requestId))
  }

  /**
   * Publishes the events of streams kept unparsed, all of them or one request's, for someone who
   * now wants their chunks. A compressed stream still being decoded after its end publishes the
   * rest when it finishes.
   */
  #parsePendingReads(requestId: string | null): void {
    for (const [id, recording] of this.#recordings) {
      if (requestId === null || id === requestId) this.#guard('onChunk', id, () => recording.parsePendingReads())
    }
  }

  /** Exchanges started and not yet ended. */
  get inFlight(): number {
    return this.#starting.size + this.#recordings.size
  }

  onStart(exchange: ExchangeStart): void {
    if (this.#recordings.has(exchange.id) || this.#starting.has(exchange.id)) {
      this.#logger.warn({ requestId: exchange.id }, 'exchange started twice; keeping the first')
      return
    }
    this.#starting.set(exchange.id, exchange)
    // Begun after the request went upstream, so reading the body (a scan of every byte) and
    // redacting headers never delay forwarding. On a reused keep-alive connection undici writes the
    // request from an immediate it queues while dispatching; this one, queued once the proxy's
    // handler has returned, runs after it. Any hook of the exchange that comes first begins it then.
    queueMicrotask(() => setImmediate(() => this.#guard('onStart', exchange.id, () => this.#recordingOf(exchange.id))))
  }

  /** The recording of an exchange, begun now if it was only announced (see `onStart`). */
  #recordingOf(id: string): ExchangeRecording | undefined {
    const exchange = this.#starting.get(id)
    if (exchange === undefined) return this.#recordings.get(id)
    this.#starting.delete(id)
    const recording = new ExchangeRecording(exchange, this.#context)
    this.#recordings.set(id, recording)
    this.#defer(() =>
      this.#guard('onStart', id, () => {
        const record = recording.snapshot()
        this.#bus.publish({ kind: 'request', record })
        this.#sink({ kind: 'start', record })
      }),
    )
    return recording
  }

  onResponse(id: string, response: ExchangeResponse): void {
    const recording = this.#recordingOf(id)
    if (recording === undefined) return
    recording.onResponse(response)
    // Read once the proxy's hook returned: the live quota view hears of it before the body starts.
    queueMicrotask(() =>
      this.#defer(() =>
        this.#guard('onResponse', id, () => {
          const snapshot = recording.rateLimit()
          if (snapshot !== null) this.#bus.publish({ kind: 'rateLimit', snapshot })
        }),
      ),
    )
  }

  onChunk(id: string, chunk: Buffer, offsetMs: number): void {
    this.#recordingOf(id)?.onChunk(chunk, offsetMs)
  }

  /** Completes the record once; a second onEnd for the same id is ignored and logged. */
  onEnd(id: string, outcome: ExchangeOutcome): void {
    const recording = this.#recordingOf(id)
    if (recording === undefined) {
      this.#logger.warn({ requestId: id, outcome: outcome.kind }, 'exchange ended twice or was never started; ignored')
      return
    }
    this.#recordings.delete(id)
    this.#finishing++
    recording.whenDecoded(() =>
      this.#defer(() => {
        this.#settleOne()
        this.#guard('onEnd', id, () => {
          const finished = recording.finish(outcome)
          const record = this.#pricedOrAsIs(finished.record)
          const chunks = finished.chunks
          this.#bus.publish({ kind: 'request', record })
          this.#sink({ kind: 'complete', record, chunks })
        })
      }),
    )
  }

  /** The record with its cost; as it is when pricing fails (the writer prices it again), so the record is never lost to it. */
  #pricedOrAsIs(record: RequestRecord): RequestRecord {
    try {
      return this.#price(record)
    } catch (err) {
      this.#logger.warn({ err, requestId: record.id }, 'pricing a finished record for its live event failed; it is published unpriced')
      return record
    }
  }

  /** Resolves once every ended exchange has been handed to the sink (compressed bodies decode asynchronously). */
  whenFinished(): Promise<void> {
    if (this.#finishing === 0) return Promise.resolve()
    return new Promise((resolve) => this.#finishedWaiters.push(resolve))
  }

  #settleOne(): void {
    if (--this.#finishing > 0) return
    const waiters = this.#finishedWaiters
    this.#finishedWaiters = []
    for (const resolve of waiters) resolve()
  }

  /** Runs work a hook left behind, so a failure there is logged instead of escaping into a timer or a stream event. */
  #guard(hook: string, id: string, run: () => void): void {
    try {
      run()
    } catch (err) {
      this.#logger.error({ err, hook, requestId: id }, 'capture failed on a proxy event; the exchange is still forwarded')
    }
  }
}
