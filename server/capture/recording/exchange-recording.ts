import type { Transform } from 'node:stream'
import type { ChunkBacklog, LiveRequestMeta } from '../../live/live-bus'
import type { Logger } from '../../logger'
import type { ExchangeOutcome, ExchangeResponse, ExchangeStart, FiredHeaderRule } from '../../proxy/proxy-observer'
import { isEventStream } from '../../wire/content-type'
import { envelopeMessage, errorEnvelopeJson } from '../../wire/error-envelope'
import { rawUsageOf, stopReasonOf } from '../../wire/message'
import { MessageAccumulator } from '../../wire/message-accumulator'
import { SseParser, type SseEvent } from '../../wire/sse-parser'
import { frameSseEvent } from '../../wire/sse-frame'
import { toUsageRecord } from '../../wire/usage'
import { parseRateLimitHeaders } from '../../wire/rate-limit-headers'
import type { RateLimitSnapshotRecord } from '../../records/rate-limit-snapshot'
import { chunkList, type CapturedChunks } from '../../records/capture-op'
import { boundIndexedText } from '../indexed-text'
import { inspectRequestBody } from './inspect-request-body'
import { parseJsonObject } from '../../wire/json-object'
import { apiKeyFingerprint, redactHeaderValues, type HeaderRedactor, type TextRedactor } from './redact'
import { RequestBody, withRequestBody } from '../../records/request-body'
import { UNROUTED, type FiredHeaderRuleRecord, type HeaderRewriteRecord, type RequestRecord, type RequestStatus, type StreamChunkRecord } from '../../records/request-record'
import { createResponseDecoder } from './response-decoder'
import { storableText } from '../../records/storable-text'
import { StreamRedaction } from './stream-redaction'
import { KeptBytes } from './kept-bytes'
import { KeptStream, streamChunkRecord } from './kept-stream'
import { ChatStreamTranslator } from '../../wire/openai/chat-stream'
import { toAnthropicMessage } from '../../wire/openai/chat-response'
import { providerErrorMessage } from '../../wire/openai/chat-error'

export interface RecordingContext {
  /** The capture run every record names (see capture-runs). */
  runId: string
  redactHeaders: HeaderRedactor
  /** See `RecorderOptions.redactText`. */
  redactText: TextRedactor | null
  /** Runs work that scans with the patterns off the forwarding path, in order (at once when there are none). */
  defer(task: () => void): void
  /** See `RecorderOptions.maxKeptBodyBytes`; also the longest SSE line parsed. */
  maxKeptBodyBytes: number
  /** See `RecorderOptions.maxDecodedBytes`. */
  maxDecodedBytes: number
  /** Called with each SSE event once it is parsed, and where the stream's chunks so far can be read when the recording keeps them. */
  onStreamChunk(chunk: StreamChunkRecord, request: LiveRequestMeta, backlog?: ChunkBacklog): void
  /** Whether someone may watch stream chunks now (see `LiveBus.hasChunkSubscribers`). */
  areChunksWatched(): boolean
  logger: Logger
}

/** The final record of an exchange and the stream chunks kept for it. */
export interface FinishedRecording {
  record: RequestRecord
  chunks: CapturedChunks
}

const TEXTUAL_CONTENT_TYPE = /json|^text\/|xml|javascript|x-www-form-urlencoded/i

/**
 * Most reads of a stream held unparsed: then they are parsed at once. Held for every read, their
 * two numbers would let an upstream that sends a byte at a time hold 16 bytes of memory per byte
 * kept; and the work left for the stream's end stays short.
 */
const MAX_PENDING_READS = 1024

/**
 * One exchange from `onStart` to its final record. It parses its own copy of the response:
 * decompressed when upstream compressed it, SSE events split into stream chunks and folded
 * into the reconstructed Message, other textual bodies kept as they are (binary ones are not kept).
 * A stream is parsed as it arrives while someone may watch its chunks live, else once it ended.
 *
 * Memory per exchange is bounded by `maxKeptBodyBytes`: past it the rest of a body, of the raw
 * SSE and of the stream-chunk list is not kept (events are still published and accumulated) and
 * the record's `error` says what was cut, unless the exchange failed for a reason of its own.
 */
export class ExchangeRecording {
  readonly meta: LiveRequestMeta
  /** Every field but the request body, which each handed-out record reads from `#requestBody`. */
  readonly #record: Omit<RequestRecord, 'requestBody'>
  readonly #clientBody: Buffer
  /** The body as stored, redacted on first use (off the forwarding path). */
  #requestBody: RequestBody | undefined
  readonly #context: RecordingContext
  /** With patterns: events wait here until deferred work redacts them. */
  readonly #streamRedaction: StreamRedaction | null = null
  /** Without patterns: the stream's events, parsed again from the kept bytes when asked for. */
  #keptStream: KeptStream | null = null
  #eventsToRedact: StreamChunkRecord[] = []
  /** With patterns: each event's size in the raw SSE, and the redacted form of those whose text changed, to rebuild the raw SSE. */
  readonly #eventBytes: number[] = []
  readonly #rewrittenEvents = new Map<number, StreamChunkRecord>()

  #contentType = ''
  #keepsBody = false
  #sse: SseParser | null = null
  #accumulator: MessageAccumulator | null = null
  /**
   * The response is in Chat Completions' wire format (the chat-completions pass-through): its
   * stream is read through this translator, and its JSON answer translated, to take usage and stop
   * reason the way Anthropic answers give them. Null for Anthropic answers (translated ones included).
   */
  readonly #isChatCompletionsWire: boolean
  #chatStream: ChatStreamTranslator | null = null
  #decoder: Transform | null = null
  #decoderSettled = true
  /** Bytes the decoder produced; past maxDecodedBytes it is stopped. */
  #decodedBytes = 0
  #isDecodeCapped = false
  #onDecoded: (() => void) | null = null
  /** Response body bytes as relayed (compressed if upstream compressed). */
  #wireBytes = 0
  readonly #kept: KeptBytes
  #chunks: StreamChunkRecord[] = []
  #nextSeq = 0
  #chunkDataBytes = 0
  #chunksTruncated = false
  /** Offset of the latest read. */
  #lastReadOffsetMs = 0
  /**
   * Reads of a stream kept but not parsed yet, as pairs: the kept bytes' length after the read, and
   * its offset. While no one watches chunks live, a stream is kept as it arrives and parsed when it
   * ends or its chunks are wanted (`parsePendingReads`): parsed read by read, amid other streams'
   * reads, it would make records and live events no one reads yet. Null when every read is parsed
   * at once (with patterns, whose redaction follows each event).
   */
  #pendingReads: number[] | null = null
  /** Bytes of the kept stream parsed so far. */
  #parsedBytes = 0
  /** Offset of the read being parsed: a completed SSE event gets the offset of the read that completed it. */
  #parsingOffsetMs = 0
  /** The read being parsed is among the kept bytes, and so is each event it completes. */
  #isParsingKeptRead = true
  /** Says which client-given fields were cut to fit their indexed column, or null. */
  readonly #boundedFieldsNote: string | null
  /** Upstream's response, kept until its rate-limit headers are read (see `rateLimit`). */
  #response: ExchangeResponse | null = null
  /** The parsed rate-limit snapshot: undefined until read, null when the response carried none. */
  #rateLimit: RateLimitSnapshotRecord | null | undefined

  constructor(start: ExchangeStart, context: RecordingContext) {
    this.#context = context
    this.#kept = new KeptBytes(context.maxKeptBodyBytes)
    // What the client sent, also when demotion sent upstream a stream request instead.
    this.#clientBody = start.clientBody
    const redactor = context.redactText
    if (redactor !== null) this.#streamRedaction = new StreamRedaction(redactor, (chunk, isRewritten) => this.#keepChunk(chunk, isRewritten))
    // Model and stream are read from what was sent; whether the stored text is JSON, from it (see #storedRequestBody).
    const facts = inspectRequestBody(start.clientBody)
    // The headers as the client sent them, before header rules rewrote any.
    const requestHeaders = context.redactHeaders(start.clientHeaders)
    const userAgent = start.clientHeaders['user-agent']
    // Indexed columns hold a bounded value: the client chooses model and path, whatever their size.
    const model = facts.model === null ? null : boundIndexedText(facts.model)
    const path = boundIndexedText(start.path)
    this.#boundedFieldsNote = model === facts.model && path === start.path ? null : boundedFieldsNote({ model: [facts.model, model], path: [start.path, path] })
    const route = start.route === undefined ? UNROUTED : { provider: start.route.provider, routedModel: start.route.routedModel === facts.model ? null : start.route.routedModel, translation: start.route.translation }
    this.#record = {
      id: start.id,
      status: 'IN_FLIGHT',
      startedAt: new Date(start.startedAt),
      completedAt: null,
      method: start.method,
      path,
      query: start.query,
      userAgent: userAgent ?? null,
      model,
      provider: route.provider,
      routedModel: route.routedModel,
      translation: route.translation,
      stream: facts.stream,
      demoted: start.demoted ?? false,
      httpStatus: null,
      upstreamRequestId: null,
      stopReason: null,
      error: this.#boundedFieldsNote,
      errorCode: null,
      responseHeadersMs: null,
      ttfbMs: null,
      durationMs: null,
      requestHeaders,
      requestBodyBytes: start.clientBody.length,
      requestBodyIsJson: facts.isJson,
      responseHeaders: null,
      responseBody: null,
      responseSse: null,
      responseBodyBytes: null,
      usage: null,
      apiKeyFingerprint: apiKeyFingerprint(requestHeaders),
      organizationId: null,
      runId: context.runId,
      headerRewrites: start.headerRulesFired?.length
        ? { fired: start.headerRulesFired.map(firedRule), upstreamRequestHeaders: context.redactHeaders(start.upstreamHeaders), clientResponseHeaders: null }
        : null,
    }
    this.#isChatCompletionsWire = start.route !== undefined && start.route.translation === null
    this.meta = { id: start.id, model, path, stream: facts.stream, apiKeyFingerprint: this.#record.apiKeyFingerprint }
  }

  /** A copy of the record as it stands, redacted; the recording never mutates a copy it handed out. */
  snapshot(): RequestRecord {
    const body = this.#storedRequestBody()
    const redactor = this.#context.redactText
    return withRequestBody(redactor === null ? this.#record : redactTextAround(this.#record, redactor), body)
  }

  #storedRequestBody(): RequestBody {
    if (this.#requestBody !== undefined) return this.#requestBody
    const stored = redactedBytes(this.#clientBody, this.#context.redactText)
    if (stored !== this.#clientBody) this.#record.requestBodyIsJson = inspectRequestBody(stored).isJson
    return (this.#requestBody = new RequestBody(stored))
  }

  onResponse(response: ExchangeResponse): void {
    const headers = response.headers
    const record = this.#record
    this.#response = response
    record.httpStatus = response.status
    record.responseHeadersMs = response.offsetMs
    record.responseHeaders = this.#context.redactHeaders(headers)
    // OpenAI-compatible providers name their request id x-request-id.
    record.upstreamRequestId = firstHeader(headers['request-id']) ?? (this.#isChatCompletionsWire ? firstHeader(headers['x-request-id']) : null)
    record.organizationId = firstHeader(headers['anthropic-organization-id'])
    if (response.headerRulesFired?.length && response.clientHeaders !== undefined) {
      record.headerRewrites = {
        fired: [...(record.headerRewrites?.fired ?? []), ...response.headerRulesFired.map(firedRule)],
        upstreamRequestHeaders: record.headerRewrites?.upstreamRequestHeaders ?? null,
        clientResponseHeaders: this.#context.redactHeaders(response.clientHeaders),
      }
    }
    const contentType = (this.#contentType = firstHeader(headers['content-type']) ?? '')
    const isSse = isEventStream(contentType)
    // Binary bodies (file downloads) and encodings capture cannot decode are not kept.
    if (!isSse && contentType !== '' && !TEXTUAL_CONTENT_TYPE.test(contentType)) return
    const decoder = createResponseDecoder(firstHeader(headers['content-encoding']) ?? undefined)
    if (decoder === undefined) return
    this.#keepsBody = true
    if (isSse) {
      if (this.#streamRedaction === null) {
        this.#keptStream = new KeptStream(this.#record.id, this.#kept)
        this.#pendingReads = []
      }
      this.#accumulator = new MessageAccumulator()
      if (this.#isChatCompletionsWire) this.#chatStream = new ChatStreamTranslator({ model: this.#record.model ?? '', provider: this.#record.provider })
      this.#sse = new SseParser((event) => this.#onEvent(event), { maxLineBytes: this.#context.maxKeptBodyBytes })
    }
    if (decoder !== null) this.#attachDecoder(decoder)
  }

  /**
   * What the response's rate-limit headers said, parsed on first call (the recorder calls it once
   * the proxy's hook returned, so forwarding never waits on it); null before the response or when
   * it carried none.
   */
  rateLimit(): RateLimitSnapshotRecord | null {
    if (this.#rateLimit !== undefined) return this.#rateLimit
    const response = this.#response
    if (response === null) return null
    const record = this.#record
    const observedAt = new Date(record.startedAt.getTime() + response.offsetMs)
    const parsed = parseRateLimitHeaders(response.headers, observedAt)
    const redactor = this.#context.redactText
    this.#rateLimit =
      parsed === null
        ? null
        : {
            // The fields of our own first: properties added after a spread cost V8 a new hidden
            // class per object (tens of microseconds for these), added before it they do not.
            requestId: record.id,
            observedAt,
            organizationId: this.#redact(record.organizationId),
            apiKeyFingerprint: record.apiKeyFingerprint,
            model: record.model,
            httpStatus: response.status,
            ...parsed,
            headers: redactor === null ? parsed.headers : (redactHeaderValues(parsed.headers, redactor) as Record<string, string>),
          }
    return this.#rateLimit
  }

  onChunk(chunk: Buffer, offsetMs: number): void {
    this.#record.ttfbMs ??= offsetMs
    this.#wireBytes += chunk.length
    this.#lastReadOffsetMs = offsetMs
    if (!this.#keepsBody) return
    if (this.#decoder === null) this.#consume(chunk)
    // A body no longer kept (and not a stream, which still feeds live views) is not worth decoding.
    else if (!this.#decoderSettled && (this.#sse !== null || !this.#kept.isCut)) this.#decoder.write(chunk)
  }

  /**
   * The body is over: `onDecoded` runs at once, or once the decoder of a compressed body has
   * flushed its last bytes (asynchronously). Call `finish` from it.
   */
  whenDecoded(onDecoded: () => void): void {
    if (this.#decoderSettled) return onDecoded()
    this.#onDecoded = onDecoded
    this.#decoder!.end()
  }

  #attachDecoder(decoder: Transform): void {
    this.#decoder = decoder
    this.#decoderSettled = false
    const settle = () => {
      if (this.#decoderSettled) return
      this.#decoderSettled = true
      this.#onDecoded?.()
    }
    decoder.on('data', (decoded: Buffer) => {
      if (this.#decoderSettled) return
      this.#decodedBytes += decoded.length
      if (this.#decodedBytes > this.#context.maxDecodedBytes) {
        // A decompression bomb from upstream: stop inflating (memory and CPU) and keep what was read.
        this.#isDecodeCapped = true
        decoder.destroy()
        return settle()
      }
      // Runs from zlib's callback, outside the proxy's guard: a throw here would be uncaught.
      try {
        this.#consume(decoded)
      } catch (err) {
        this.#context.logger.error({ err, requestId: this.#record.id }, 'capture failed on a decoded response chunk')
      }
    })
    decoder.once('end', settle)
    decoder.on('error', (err) => {
      if (this.#decoderSettled) return
      this.#context.logger.warn({ err, requestId: this.#record.id }, 'could not decompress the captured response copy; keeping what was decoded')
      settle()
    })
  }

  /**
   * Takes decoded body bytes: kept within the bound, and parsed when they are SSE, at once or later
   * (see `#pendingReads`). Bytes past the bound are parsed at once, as they are not kept.
   */
  #consume(decoded: Buffer): void {
    const kept = this.#kept
    kept.add(decoded)
    const sse = this.#sse
    if (sse === null) return
    const pending = this.#pendingReads
    if (pending !== null && !kept.isCut && !this.#context.areChunksWatched()) {
      pending.push(kept.length, this.#lastReadOffsetMs)
      if (pending.length >= 2 * MAX_PENDING_READS) this.parsePendingReads()
      return
    }
    this.parsePendingReads()
    this.#parsingOffsetMs = this.#lastReadOffsetMs
    this.#isParsingKeptRead = !kept.isCut
    sse.push(decoded)
    this.#parsedBytes = kept.length
  }

  /** Parses the stream's reads kept unparsed so far, publishing their events as each would have been. */
  parsePendingReads(): void {
    const pending = this.#pendingReads
    if (pending === null || pending.length === 0) return
    const bytes = this.#kept.bytes()
    let from = this.#parsedBytes
    this.#isParsingKeptRead = true
    for (let at = 0; at < pending.length; at += 2) {
      const to = pending[at]!
      this.#parsingOffsetMs = pending[at + 1]!
      this.#sse!.push(bytes.subarray(from, to))
      from = to
    }
    this.#parsedBytes = from
    pending.length = 0
  }

  #onEvent(event: SseEvent): void {
    const offsetMs = this.#parsingOffsetMs
    const chunk = streamChunkRecord(this.#record.id, this.#nextSeq++, event, offsetMs)
    this.#applyEvent(event.event, event.data)
    const keptStream = this.#keptStream
    if (keptStream !== null) {
      if (this.#isParsingKeptRead) keptStream.noteEvent(offsetMs, chunk.data.length)
      return this.#context.onStreamChunk(chunk, this.meta, keptStream)
    }
    this.#eventBytes.push(event.bytes)
    if (this.#eventsToRedact.push(chunk) === 1) this.#context.defer(() => this.#redactEvents())
  }

  /** Folds one event into the Message; a Chat Completions chunk is read as the Anthropic events it amounts to. */
  #applyEvent(event: string | null, data: string): void {
    const accumulator = this.#accumulator!
    if (this.#chatStream === null) return accumulator.apply(event, data)
    for (const translated of this.#chatStream.push(data)) accumulator.apply(translated.event, translated.data)
  }

  /** Deferred: hands the events that arrived since the last run to the stream redaction. */
  #redactEvents(): void {
    const events = this.#eventsToRedact
    this.#eventsToRedact = []
    for (const chunk of events) this.#streamRedaction!.push(chunk)
  }

  /** With patterns: stores (within the bound) and publishes one event as redaction rewrote it. */
  #keepChunk(chunk: StreamChunkRecord, isRewritten: boolean): void {
    if (isRewritten) this.#rewrittenEvents.set(chunk.seq, chunk)
    if (!this.#chunksTruncated && this.#chunkDataBytes + chunk.data.length <= this.#context.maxKeptBodyBytes) {
      this.#chunks.push(chunk)
      this.#chunkDataBytes += chunk.data.length
    } else {
      this.#chunksTruncated = true
    }
    this.#context.onStreamChunk(chunk, this.meta)
  }

  #redact<T extends string | null>(text: T): T {
    const redactor = this.#context.redactText
    return (redactor === null || text === null ? text : redactor.redact(text)) as T
  }

  /** The final record, from everything seen and how the exchange ended. Call once, after `whenDecoded`. */
  finish(outcome: ExchangeOutcome): FinishedRecording {
    const record = this.#record
    record.completedAt = new Date(record.startedAt.getTime() + outcome.offsetMs)
    record.durationMs = outcome.offsetMs
    if (record.httpStatus !== null) record.responseBodyBytes = this.#wireBytes
    // Usage and errors are read from what upstream sent; what is stored is redacted.
    const bodyText = this.#keepsBody ? storableText(this.#kept.bytes().toString('utf8')) : null
    let upstreamError: string | null = null
    if (this.#accumulator !== null) {
      this.parsePendingReads()
      for (const translated of this.#chatStream?.end() ?? []) this.#accumulator.apply(translated.event, translated.data)
      this.#redactEvents()
      this.#streamRedaction?.end()
      record.responseSse = this.#redact(bodyText === null ? null : this.#rebuiltSse(bodyText))
      record.responseBody = this.#redact(this.#accumulator.toJSONText())
      record.usage = toUsageRecord(this.#accumulator.usage())
      record.stopReason = this.#accumulator.stopReason
    } else if (bodyText !== null) {
      record.responseBody = this.#redact(bodyText)
      const json = /json/i.test(this.#contentType) && !this.#kept.isCut ? parseJsonObject(bodyText) : null
      if (json !== null && this.#isChatCompletionsWire) {
        const message = toAnthropicMessage(bodyText, record.model ?? '')
        record.usage = toUsageRecord(message === null ? null : (rawUsageOf(message) ?? null))
        record.stopReason = stopReasonOf(message)
        upstreamError = providerErrorMessage(json)
      } else if (json !== null) {
        record.usage = toUsageRecord(rawUsageOf(json) ?? null)
        record.stopReason = stopReasonOf(json)
        upstreamError = envelopeMessage(json)
      }
    }
    if (outcome.kind === 'failed' || outcome.kind === 'refused') {
      record.errorCode = outcome.error.code
      if (record.httpStatus === null) {
        // Nothing came from upstream: the client got the proxy's own envelope.
        record.httpStatus = outcome.error.status
        record.responseBody = errorEnvelopeJson(outcome.error)
      }
      // Refused by the proxy itself: no header went upstream, which the record says as an empty set.
      if (outcome.kind === 'refused') record.headerRewrites = { fired: [], upstreamRequestHeaders: {}, clientResponseHeaders: null }
    }
    record.rateLimit = this.rateLimit()
    const [status, error] = this.#outcomeStatus(outcome, upstreamError)
    record.status = status
    record.error = error === null ? this.#truncationNote() : [error, this.#boundedFieldsNote].filter((note) => note !== null).join('; ')
    this.#sse?.end()
    return { record: this.snapshot(), chunks: this.#keptStream ?? chunkList(this.#chunks) }
  }

  /** COMPLETED, or why not: client hang-up, proxy failure or refusal, HTTP error, stream error, cut stream. */
  #outcomeStatus(outcome: ExchangeOutcome, upstreamError: string | null): [RequestStatus, string | null] {
    const httpStatus = this.#record.httpStatus
    const accumulator = this.#accumulator
    if (outcome.kind === 'aborted') return ['ABORTED', null]
    if (outcome.kind === 'failed') return ['FAILED', outcome.error.message]
    if (outcome.kind === 'refused') return ['FAILED', `refused with ${outcome.error.status} ${outcome.error.code}: ${outcome.error.message}`]
    if (httpStatus !== null && httpStatus >= 400) return ['FAILED', upstreamError ?? `HTTP ${httpStatus}`]
    if (accumulator?.error) return ['FAILED', accumulator.error.message || accumulator.error.type]
    // After a capped decode, what the stream held past the bound is unknown: not a cut stream.
    if (accumulator !== null && this.#record.responseBody !== null && !accumulator.done && !this.#isDecodeCapped) return ['FAILED', 'stream ended before message_stop']
    return ['COMPLETED', null]
  }

  /**
   * The raw SSE with every event whose text redaction changed written anew from its redacted data
   * (the others stay byte for byte), so no piece of a secret cut across events is left in clear.
   * An event cut by the storage bound is dropped when it was rewritten.
   */
  #rebuiltSse(rawText: string): string {
    if (this.#rewrittenEvents.size === 0) return rawText
    const raw = Buffer.from(rawText)
    let out = ''
    let offset = 0
    for (let seq = 0; seq < this.#eventBytes.length && offset < raw.length; seq++) {
      const size = this.#eventBytes[seq]!
      const rewritten = this.#rewrittenEvents.get(seq)
      if (rewritten !== undefined) out += offset + size <= raw.length ? frameSseEvent(rewritten.event, rewritten.data) : ''
      else out += raw.toString('utf8', offset, Math.min(offset + size, raw.length))
      offset += size
    }
    return offset < raw.length ? out + raw.toString('utf8', offset) : out
  }

  #truncationNote(): string | null {
    const limit = this.#context.maxKeptBodyBytes
    const notes = [this.#boundedFieldsNote]
    const dropped = this.#sse?.droppedEvents ?? 0
    if (this.#isDecodeCapped) {
      notes.push(`response decompression stopped at its limit of ${this.#context.maxDecodedBytes} bytes: the ${this.#wireBytes} compressed bytes were forwarded whole, storage kept the first ${this.#kept.length} decoded bytes`)
    } else if (dropped > 0) notes.push(`${dropped} stream event(s) not parsed: a line was longer than ${limit} bytes`)
    else if (this.#kept.isCut) notes.push(`response body truncated in storage: kept the first ${this.#kept.length} bytes (limit ${limit})`)
    else if (this.#chunksTruncated) notes.push(`stream chunks truncated in storage: kept the first ${this.#chunks.length} of ${this.#nextSeq} events (limit ${limit} bytes)`)
    const said = notes.filter((note) => note !== null)
    return said.length === 0 ? null : said.join('; ')
  }
}

/** Names each field whose stored value (second) is cut from what the client sent (first); null when none is. */
function boundedFieldsNote(fields: Record<string, [sent: string | null, stored: string | null]>): string | null {
  const cut = Object.entries(fields)
    .filter(([, [sent, stored]]) => sent !== stored)
    .map(([name, [sent]]) => `${name} truncated in storage (${Buffer.byteLength(sent!)} bytes sent)`)
  return cut.length === 0 ? null : cut.join('; ')
}

/** The request body as stored: the forwarded bytes themselves unless redaction changed something. */
function redactedBytes(body: Buffer, redactor: TextRedactor | null): Buffer {
  if (redactor === null) return body
  const text = body.toString('utf8')
  const redacted = redactor.redact(text)
  return redacted === text ? body : Buffer.from(redacted)
}

/** The fields of a record around its bodies (query, header values, error) with the patterns applied. */
function redactTextAround(record: Omit<RequestRecord, 'requestBody'>, redactor: TextRedactor): Omit<RequestRecord, 'requestBody'> {
  const redact = <T extends string | null>(text: T): T => (text === null ? text : redactor.redact(text)) as T
  return {
    ...record,
    query: redact(record.query),
    userAgent: redact(record.userAgent),
    upstreamRequestId: redact(record.upstreamRequestId),
    organizationId: redact(record.organizationId),
    error: redact(record.error),
    requestHeaders: redactHeaderValues(record.requestHeaders, redactor),
    responseHeaders: record.responseHeaders === null ? null : redactHeaderValues(record.responseHeaders, redactor),
    headerRewrites: record.headerRewrites === null ? null : redactRewrites(record.headerRewrites, redactor),
  }
}

function redactRewrites(rewrites: HeaderRewriteRecord, redactor: TextRedactor): HeaderRewriteRecord {
  const { upstreamRequestHeaders, clientResponseHeaders } = rewrites
  return {
    fired: rewrites.fired,
    upstreamRequestHeaders: upstreamRequestHeaders === null ? null : redactHeaderValues(upstreamRequestHeaders, redactor),
    clientResponseHeaders: clientResponseHeaders === null ? null : redactHeaderValues(clientResponseHeaders, redactor),
  }
}

/** A fired rule as plain data of its own: the proxy's object is the compiled rule itself. */
function firedRule(rule: FiredHeaderRule): FiredHeaderRuleRecord {
  return { id: rule.id, scope: rule.scope, header: rule.header, action: rule.action }
}

function firstHeader(value: string | string[] | undefined): string | null {
  return (Array.isArray(value) ? value[0] : value) ?? null
}
