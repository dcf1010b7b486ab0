/**
 * Non-streaming → streaming demotion. A client that asked for one JSON answer makes upstream
 * think for minutes before sending a single header; a stream sends headers at once and then bytes
 * at least every few seconds, so no header timeout or idle connection reaper cuts it. When the
 * option is on, such a request goes upstream with `"stream": true`, the stream is accumulated with
 * the same MessageAccumulator capture uses, and the client gets the Message as the non-streaming
 * API would have written it, or the error status and envelope it would have answered with.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { isEventStream } from '../wire/content-type'
import { errorEnvelopeJson, isErrorEnvelopeJson } from '../wire/error-envelope'
import { statusForErrorType } from '../wire/error-status'
import { MessageAccumulator, type StreamError } from '../wire/message-accumulator'
import { SseParser, type SseEvent } from '../wire/sse-parser'
import { toClientHeaders } from './hop-by-hop'
import { ProxyError } from './proxy-errors'
import { withStreamRequested } from './stream-flag'

/** The endpoint whose non-streaming answer a stream can stand in for; count_tokens and the rest are not demoted. */
const MESSAGES_PATH = '/v1/messages'

/**
 * The body to send upstream instead of the client's when the request is demoted: a POST to
 * /v1/messages, identity-encoded, whose JSON object does not ask for a stream. Null when the
 * request is forwarded as it is (see withStreamRequested for the bodies that are left alone).
 */
export function demotedRequestBody(method: string, path: string, headers: IncomingHttpHeaders, body: Buffer): Buffer | null {
  if (method !== 'POST' || path !== MESSAGES_PATH) return null
  const encoding = headers['content-encoding']?.trim().toLowerCase()
  if (encoding !== undefined && encoding !== '' && encoding !== 'identity') return null
  return withStreamRequested(body)
}

/**
 * The upstream headers of a demoted request, asking for an identity-encoded stream: the proxy reads
 * that stream, not the client, and the client's JSON answer goes out uncompressed, which every
 * client accepts whatever its own accept-encoding said.
 */
export function withIdentityEncoding(upstreamHeaders: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < upstreamHeaders.length; i += 2) {
    if (upstreamHeaders[i].toLowerCase() !== 'accept-encoding') out.push(upstreamHeaders[i], upstreamHeaders[i + 1])
  }
  out.push('accept-encoding', 'identity')
  return out
}

/**
 * Headers that describe the SSE bytes rather than the answer; the JSON answer gets its own.
 * cache-control is the stream's `no-cache`, which the non-streaming API does not send.
 */
const STREAM_ONLY_HEADERS = ['content-type', 'content-length', 'content-encoding', 'content-digest', 'repr-digest', 'cache-control']

/** What the client of a demoted request gets once upstream's stream has ended. */
export interface DemotedAnswer {
  status: number
  /** Upstream's reason phrase for a message; node's default for an error status. */
  statusMessage: string | undefined
  headers: Record<string, string | string[]>
  body: Buffer
}

/** Upstream's stream for a demoted request, parsed as it arrives and answered as JSON at its end. */
export class DemotedResponse {
  readonly #accumulator = new MessageAccumulator()
  readonly #parser = new SseParser((event) => this.#onEvent(event))
  /** Stream bytes still allowed before the answer is refused (see `begin`). */
  #bytesLeft: number
  /** Data of the event that set the accumulator's error: upstream's own envelope, relayed as sent. */
  #errorData: string | null = null
  readonly #status: number
  readonly #statusMessage: string | undefined
  readonly #headers: Readonly<Record<string, string | string[] | undefined>>

  private constructor(status: number, statusMessage: string | undefined, headers: Readonly<Record<string, string | string[] | undefined>>, maxStreamBytes: number) {
    this.#bytesLeft = maxStreamBytes
    this.#status = status
    this.#statusMessage = statusMessage
    this.#headers = headers
  }

  /**
   * Takes over upstream's answer when it is the stream that was asked for (2xx, text/event-stream).
   * Null for anything else, relayed to the client as it is: an error status (already JSON, as the
   * non-streaming API would send it) or a JSON message from an upstream that ignored the flag. A
   * stream in a content-encoding, though identity was asked for, cannot be read: a ProxyError.
   * The stream is held in memory until it ends, so at most `maxStreamBytes` of it are taken: a
   * hostile or runaway upstream cannot grow the process without bound.
   */
  static begin(
    status: number,
    statusMessage: string | undefined,
    headers: Readonly<Record<string, string | string[] | undefined>>,
    maxStreamBytes: number,
  ): DemotedResponse | ProxyError | null {
    const contentType = headers['content-type']
    if (status < 200 || status > 299 || typeof contentType !== 'string' || !isEventStream(contentType)) return null
    const encoding = headers['content-encoding']
    if (encoding !== undefined && String(encoding).toLowerCase() !== 'identity') {
      return new ProxyError('UPSTREAM_BAD_RESPONSE', `the stream for a demoted request came in content-encoding ${String(encoding)}, identity was asked for`)
    }
    return new DemotedResponse(status, statusMessage, headers, maxStreamBytes)
  }

  /** One upstream read, split anywhere. A ProxyError once the stream outgrows its bound (nothing more is taken). */
  push(chunk: Buffer): ProxyError | null {
    this.#bytesLeft -= chunk.length
    if (this.#bytesLeft < 0) return new ProxyError('UPSTREAM_BAD_RESPONSE', 'the stream for a demoted request outgrew the bound of what is held in memory (DEMOTED_STREAM_MAX_BYTES)')
    this.#parser.push(chunk)
    return null
  }

  /**
   * The answer once upstream's body has ended: the Message with upstream's status and headers;
   * for a stream that carried an `error` event, that error's status and envelope; a ProxyError
   * (502) when the stream stopped before message_stop without saying why.
   */
  answer(): DemotedAnswer | ProxyError {
    const error = this.#accumulator.error
    if (error !== null) {
      const body = Buffer.from(errorEnvelope(this.#errorData, error))
      return { status: statusForErrorType(error.type), statusMessage: undefined, headers: this.#answerHeaders(body), body }
    }
    const message = this.#accumulator.done ? this.#accumulator.toJSONText() : null
    if (message === null) return new ProxyError('UPSTREAM_RESET', 'the stream of a demoted request ended before message_stop')
    const body = Buffer.from(message)
    return { status: this.#status, statusMessage: this.#statusMessage, headers: this.#answerHeaders(body), body }
  }

  #onEvent(event: SseEvent): void {
    const before = this.#accumulator.error
    this.#accumulator.apply(event.event, event.data)
    if (this.#accumulator.error !== before) this.#errorData = event.data
  }

  /** Upstream's end-to-end headers (request-id, rate limits, …) describing a JSON body instead of the stream. */
  #answerHeaders(body: Buffer): Record<string, string | string[]> {
    const headers = toClientHeaders(this.#headers)
    for (const name of STREAM_ONLY_HEADERS) delete headers[name]
    headers['content-type'] = 'application/json'
    headers['content-length'] = String(body.length)
    return headers
  }
}

/** The error event's data when it is Anthropic's envelope (`{"type":"error","error":{…},…}`), else an envelope built from it. */
function errorEnvelope(data: string | null, error: StreamError): string {
  return data !== null && isErrorEnvelopeJson(data) ? data : errorEnvelopeJson(error)
}
