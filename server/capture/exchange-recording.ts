import type { Transform } from 'node:stream'
import type { LiveRequestMeta } from '../live/live-bus'
import type { Logger } from '../logger'
import { anthropicErrorJson } from '../proxy/proxy-errors'
import type { ExchangeOutcome, ExchangeResponse, ExchangeStart } from '../proxy/proxy-observer'
import { MessageAccumulator } from '../wire/message-accumulator'
import { SseParser, type SseEvent } from '../wire/sse-parser'
import { toUsageRecord, type RawUsage } from '../wire/usage'
import { inspectRequestBody } from './inspect-request-body'
import { apiKeyFingerprint, type BodyRedactor, type HeaderRedactor } from './redact'
import { RequestBody, withRequestBody } from './request-body'
import type { RequestRecord, RequestStatus, StreamChunkRecord } from './request-record'
import { createResponseDecoder } from './response-decoder'
import { storableText } from './storable-text'

export interface RecordingContext {
  /** The capture run every record names (see capture-runs). */
  runId: string
  redactHeaders: HeaderRedactor
  /** See `RecorderOptions.redactBody`. */
  redactBody: BodyRedactor | null
  /** See `RecorderOptions.maxKeptBodyBytes`; also the longest SSE line parsed. */
  maxKeptBodyBytes: number
  /** See `RecorderOptions.maxDecodedBytes`. */
  maxDecodedBytes: number
  /** Called with each SSE event as soon as it is complete. */
  onStreamChunk(chunk: StreamChunkRecord, request: LiveRequestMeta): void
  logger: Logger
}

/** The final record of an exchange and the stream chunks kept for it. */
export interface FinishedRecording {
  record: RequestRecord
  chunks: StreamChunkRecord[]
}

const TEXTUAL_CONTENT_TYPE = /json|^text\/|xml|javascript|x-www-form-urlencoded/i

/**
 * One exchange from `onStart` to its final record. It parses its own copy of the response:
 * decompressed when upstream compressed it, SSE events split into stream chunks (C2) and folded
 * into the reconstructed Message, other textual bodies kept as they are (binary ones are not kept).
 *
 * Memory per exchange is bounded by `maxKeptBodyBytes`: past it the rest of a body, of the raw
 * SSE and of the stream-chunk list is not kept (events are still published and accumulated) and
 * the record's `error` says what was cut, unless the exchange failed for a reason of its own.
 */
export class ExchangeRecording {
  readonly meta: LiveRequestMeta
  /** Every field but the request body, which each handed-out record reads from `#requestBody`. */
  readonly #record: Omit<RequestRecord, 'requestBody'>
  readonly #requestBody: RequestBody
  readonly #context: RecordingContext

  #contentType = ''
  #keepsBody = false
  #sse: SseParser | null = null
  #accumulator: MessageAccumulator | null = null
  #decoder: Transform | null = null
  #decoderSettled = true
  /** Bytes the decoder produced; past maxDecodedBytes it is stopped. */
  #decodedBytes = 0
  #isDecodeCapped = false
  #onDecoded: (() => void) | null = null
  /** Response body bytes as relayed (compressed if upstream compressed). */
  #wireBytes = 0
  #kept: Buffer[] = []
  #keptBytes = 0
  #isBodyTruncated = false
  #chunks: StreamChunkRecord[] = []
  #nextSeq = 0
  #chunkDataBytes = 0
  #chunksTruncated = false
  /** Offset of the latest read; a completed SSE event gets the offset of the read that completed it. */
  #lastReadOffsetMs = 0

  constructor(start: ExchangeStart, context: RecordingContext) {
    this.#context = context
    const stored = redactedBytes(start.body, context.redactBody)
    this.#requestBody = new RequestBody(stored)
    const facts = inspectRequestBody(start.body)
    // Model and stream are read from what was sent; whether the stored text is JSON, from it.
    const isJson = stored === start.body ? facts.isJson : inspectRequestBody(stored).isJson
    // The headers as the client sent them, before header rules rewrote any.
    const requestHeaders = context.redactHeaders(start.clientHeaders)
    const userAgent = start.clientHeaders['user-agent']
    this.#record = {
      id: start.id,
      status: 'IN_FLIGHT',
      startedAt: new Date(start.startedAt),
      completedAt: null,
      method: start.method,
      path: start.path,
      query: start.query,
      userAgent: userAgent ?? null,
      model: facts.model,
      routedModel: null,
      provider: 'anthropic',
      stream: facts.stream,
      httpStatus: null,
      upstreamRequestId: null,
      stopReason: null,
      error: null,
      errorCode: null,
      responseHeadersMs: null,
      ttfbMs: null,
      durationMs: null,
      requestHeaders,
      requestBodyBytes: start.body.length,
      requestBodyIsJson: isJson,
      responseHeaders: null,
      responseBody: null,
      responseSse: null,
      responseBodyBytes: null,
      usage: null,
      apiKeyFingerprint: apiKeyFingerprint(requestHeaders),
      organizationId: null,
      runId: context.runId,
    }
    this.meta = { id: start.id, model: facts.model, path: start.path, stream: facts.stream, apiKeyFingerprint: this.#record.apiKeyFingerprint }
  }

  /** A copy of the record as it stands; the recording never mutates a copy it handed out. */
  snapshot(): RequestRecord {
    return withRequestBody({ ...this.#record }, this.#requestBody)
  }

  onResponse(response: ExchangeResponse): void {
    const headers = response.headers
    const record = this.#record
    record.httpStatus = response.status
    record.responseHeadersMs = response.offsetMs
    record.responseHeaders = this.#context.redactHeaders(headers)
    record.upstreamRequestId = firstHeader(headers['request-id'])
    record.organizationId = firstHeader(headers['anthropic-organization-id'])
    const contentType = (this.#contentType = firstHeader(headers['content-type']) ?? '')
    const isSse = /^text\/event-stream/i.test(contentType)
    // Binary bodies (file downloads) and encodings capture cannot decode are not kept.
    if (!isSse && contentType !== '' && !TEXTUAL_CONTENT_TYPE.test(contentType)) return
    const decoder = createResponseDecoder(firstHeader(headers['content-encoding']) ?? undefined)
    if (decoder === undefined) return
    this.#keepsBody = true
    if (isSse) {
      this.#accumulator = new MessageAccumulator()
      this.#sse = new SseParser((event) => this.#onEvent(event), { maxLineBytes: this.#context.maxKeptBodyBytes })
    }
    if (decoder !== null) this.#attachDecoder(decoder)
  }

  onChunk(chunk: Buffer, offsetMs: number): void {
    this.#record.ttfbMs ??= offsetMs
    this.#wireBytes += chunk.length
    this.#lastReadOffsetMs = offsetMs
    if (!this.#keepsBody) return
    if (this.#decoder === null) this.#consume(chunk)
    // A body no longer kept (and not a stream, which still feeds live views) is not worth decoding.
    else if (!this.#decoderSettled && (this.#sse !== null || !this.#isBodyTruncated)) this.#decoder.write(chunk)
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

  /** Takes decoded body bytes: kept within the bound, and parsed when they are SSE. */
  #consume(decoded: Buffer): void {
    if (!this.#isBodyTruncated && this.#keptBytes + decoded.length <= this.#context.maxKeptBodyBytes) {
      this.#kept.push(decoded)
      this.#keptBytes += decoded.length
    } else {
      this.#isBodyTruncated = true
    }
    this.#sse?.push(decoded)
  }

  #onEvent(event: SseEvent): void {
    const chunk: StreamChunkRecord = {
      requestId: this.#record.id,
      seq: this.#nextSeq++,
      event: event.event === null ? null : storableText(event.event),
      data: storableText(this.#redact(event.data)),
      offsetMs: this.#lastReadOffsetMs,
      bytes: event.bytes,
    }
    if (!this.#chunksTruncated && this.#chunkDataBytes + chunk.data.length <= this.#context.maxKeptBodyBytes) {
      this.#chunks.push(chunk)
      this.#chunkDataBytes += chunk.data.length
    } else {
      this.#chunksTruncated = true
    }
    this.#context.onStreamChunk(chunk, this.meta)
    this.#accumulator!.apply(event.event, event.data)
  }

  #redact<T extends string | null>(text: T): T {
    const redact = this.#context.redactBody
    return (redact === null || text === null ? text : redact(text)) as T
  }

  /** The final record, from everything seen and how the exchange ended. Call once, after `whenDecoded`. */
  finish(outcome: ExchangeOutcome): FinishedRecording {
    const record = this.#record
    record.completedAt = new Date(record.startedAt.getTime() + outcome.offsetMs)
    record.durationMs = outcome.offsetMs
    if (record.httpStatus !== null) record.responseBodyBytes = this.#wireBytes
    // Usage and errors are read from what upstream sent; what is stored is redacted.
    const bodyText = this.#keepsBody ? storableText(Buffer.concat(this.#kept, this.#keptBytes).toString('utf8')) : null
    let upstreamError: string | null = null
    if (this.#accumulator !== null) {
      record.responseSse = this.#redact(bodyText)
      record.responseBody = this.#redact(this.#accumulator.toJSONText())
      record.usage = toUsageRecord(this.#accumulator.usage())
      record.stopReason = this.#accumulator.stopReason
    } else if (bodyText !== null) {
      record.responseBody = this.#redact(bodyText)
      const json = /json/i.test(this.#contentType) && !this.#isBodyTruncated ? parseObject(bodyText) : null
      if (json !== null) {
        record.usage = toUsageRecord(isObject(json.usage) ? (json.usage as RawUsage) : null)
        record.stopReason = typeof json.stop_reason === 'string' ? json.stop_reason : null
        upstreamError = envelopeMessage(json)
      }
    }
    if (outcome.kind === 'failed') {
      record.errorCode = outcome.error.code
      if (record.httpStatus === null) {
        // Nothing came from upstream: the client got the proxy's own envelope.
        record.httpStatus = outcome.error.status
        record.responseBody = anthropicErrorJson(outcome.error)
      }
    }
    const [status, error] = this.#outcomeStatus(outcome, upstreamError)
    record.status = status
    record.error = error ?? this.#truncationNote()
    this.#sse?.end()
    return { record: this.snapshot(), chunks: this.#chunks }
  }

  /** COMPLETED, or why not: client hang-up, proxy failure, HTTP error, stream error, cut stream. */
  #outcomeStatus(outcome: ExchangeOutcome, upstreamError: string | null): [RequestStatus, string | null] {
    const httpStatus = this.#record.httpStatus
    const accumulator = this.#accumulator
    if (outcome.kind === 'aborted') return ['ABORTED', null]
    if (outcome.kind === 'failed') return ['FAILED', outcome.error.message]
    if (httpStatus !== null && httpStatus >= 400) return ['FAILED', upstreamError ?? `HTTP ${httpStatus}`]
    if (accumulator?.error) return ['FAILED', accumulator.error.message || accumulator.error.type]
    // After a capped decode, what the stream held past the bound is unknown: not a cut stream.
    if (accumulator !== null && this.#record.responseBody !== null && !accumulator.done && !this.#isDecodeCapped) return ['FAILED', 'stream ended before message_stop']
    return ['COMPLETED', null]
  }

  #truncationNote(): string | null {
    const limit = this.#context.maxKeptBodyBytes
    if (this.#isDecodeCapped) {
      return `response decompression stopped at its limit of ${this.#context.maxDecodedBytes} bytes: the ${this.#wireBytes} compressed bytes were forwarded whole, storage kept the first ${this.#keptBytes} decoded bytes`
    }
    const dropped = this.#sse?.droppedEvents ?? 0
    if (dropped > 0) return `${dropped} stream event(s) not parsed: a line was longer than ${limit} bytes`
    if (this.#isBodyTruncated) return `response body truncated in storage: kept the first ${this.#keptBytes} bytes (limit ${limit})`
    if (this.#chunksTruncated) return `stream chunks truncated in storage: kept the first ${this.#chunks.length} of ${this.#nextSeq} events (limit ${limit} bytes)`
    return null
  }
}

/** The request body as stored: the forwarded bytes themselves unless redaction changed something. */
function redactedBytes(body: Buffer, redact: BodyRedactor | null): Buffer {
  if (redact === null) return body
  const text = body.toString('utf8')
  const redacted = redact(text)
  return redacted === text ? body : Buffer.from(redacted)
}

function firstHeader(value: string | string[] | undefined): string | null {
  return (Array.isArray(value) ? value[0] : value) ?? null
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Only reads fields (usage, stop_reason, error), so plain JSON.parse is fine: the stored text stays exact. */
function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text)
    return isObject(value) ? value : null
  } catch {
    return null
  }
}

/** `error.message` of Anthropic's `{"type":"error","error":{…}}` envelope. */
function envelopeMessage(json: Record<string, unknown>): string | null {
  const error = json.error
  if (!isObject(error)) return null
  if (typeof error.message === 'string' && error.message !== '') return error.message
  return typeof error.type === 'string' ? error.type : null
}
