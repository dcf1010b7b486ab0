import assert from 'node:assert'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { performance } from 'node:perf_hooks'
import type { Dispatcher } from 'undici'
import type { Logger } from '../logger'
import { DemotedResponse } from './demotion'
import { logProxyFailure } from './failure-log'
import { toClientHeaders } from './hop-by-hop'
import { sseErrorEvent } from '../wire/error-envelope'
import { isEventStream } from '../wire/content-type'
import { classifyUpstreamError, ProxyError, sendAnthropicError, type UpstreamPhase } from './proxy-errors'
import { NONE_FIRED, type ExchangeFacts, type FiredHeaderRule, type HeaderRewrite } from './header-rewrite'
import type { ExchangeOutcome, ProxyObserver } from './proxy-observer'
import type { ResponseTranslation, TranslatedHead } from './response-translation'

/** The header rules one exchange runs under, with what their conditions look at; null when there are none. */
export interface ExchangeRules {
  rewrite: HeaderRewrite
  facts: ExchangeFacts
}

/** What every exchange of one proxy shares. */
export interface ExchangeContext {
  /** Already guarded: its hooks never throw. */
  observer: ProxyObserver | undefined
  logger: Logger
  /** Called once when the exchange has ended, whatever the outcome. */
  onSettled(): void
  /** See ProxyOptions.onOverhead. */
  onOverhead: ((ms: number) => void) | undefined
  /** See ProxyOptions.demotedStreamMaxBytes. */
  demotedStreamMaxBytes: number
}

const NEWLINE = 0x0a
const CARRIAGE_RETURN = 0x0d

/**
 * One forwarded exchange from dispatch to end, speaking undici's handler protocol. Every upstream
 * read is written to the client the moment it arrives; when the client socket is full, upstream is
 * paused until it drains (no buffering here). The observer hears of each step only after the bytes
 * were handed to the socket, and of the end exactly once, whichever side ends first.
 *
 * A demoted exchange (a non-streaming request sent upstream as a stream) is the
 * exception: its stream is parsed instead of relayed, and the client
 * gets one JSON answer when it ends; the observer still hears of every upstream read.
 */
export class UpstreamExchange implements Dispatcher.DispatchHandler {
  #phase: UpstreamPhase | 'ended' = 'connecting'
  #controller: Dispatcher.DispatchController | null = null
  /** The relayed response is SSE that a final error event can be appended to (identity-encoded, no length). */
  #isAppendableSse = false
  /** The last two bytes written of an SSE response: where a final error event can start. */
  #lastByte = NEWLINE
  #byteBeforeLast = NEWLINE
  /** The stream being accumulated for a demoted request; null while relaying. */
  #demoted: DemotedResponse | null = null
  /** Milliseconds the proxy spent preparing and dispatching the request (set by the proxy after dispatch). */
  requestOverheadMs = 0

  readonly #context: ExchangeContext
  readonly #req: IncomingMessage
  readonly #res: ServerResponse
  readonly #id: string
  /** performance.now() when the request reached the proxy; every offset is relative to it. */
  readonly #startedAtMs: number
  /** The forwarded body, kept for the failure log line. */
  readonly #body: Buffer
  /** The client asked for JSON and upstream for a stream: a 2xx stream is accumulated, not relayed. */
  readonly #isDemoted: boolean
  readonly #rules: ExchangeRules | null
  /** Upstream speaks another wire format than the client (a routed request): its answer is rewritten, not relayed. */
  readonly #translation: ResponseTranslation | null

  constructor(
    context: ExchangeContext,
    req: IncomingMessage,
    res: ServerResponse,
    id: string,
    startedAtMs: number,
    body: Buffer,
    isDemoted = false,
    rules: ExchangeRules | null = null,
    translation: ResponseTranslation | null = null,
  ) {
    this.#context = context
    this.#req = req
    this.#res = res
    this.#id = id
    this.#startedAtMs = startedAtMs
    this.#body = body
    this.#isDemoted = isDemoted
    this.#rules = rules
    this.#translation = translation
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller
    // The client left while the request waited for a connection.
    if (this.#phase === 'ended') controller.abort(clientGone())
    else this.#phase = 'awaiting-headers'
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    // Informational (1xx) heads are undici's business; the client gets only the final response.
    if (this.#phase === 'ended' || statusCode < 200) return
    this.#phase = 'body'
    const headStartedAt = performance.now()
    if (this.#translation !== null) {
      this.#beginTranslated(this.#translation, statusCode, headers)
      this.#context.onOverhead?.(this.requestOverheadMs + performance.now() - headStartedAt)
      return
    }
    if (this.#isDemoted) {
      const demoted = DemotedResponse.begin(statusCode, statusMessage, headers, this.#context.demotedStreamMaxBytes)
      if (demoted instanceof ProxyError) return this.#fail(demoted)
      if (demoted !== null) {
        // Nothing goes to the client until the stream has ended; idle and abort rules apply as usual.
        this.#demoted = demoted
        // The answer's own headers are rewritten when it goes out; which rules fire is known now,
        // from upstream's (the answer's differ only in describing JSON instead of the stream).
        const rewritten = toClientHeaders(headers)
        this.#announceResponse(statusCode, headers, this.#rewriteResponse(rewritten), rewritten)
        this.#context.onOverhead?.(this.requestOverheadMs + performance.now() - headStartedAt)
        return
      }
    }
    const res = this.#res
    const clientHeaders = toClientHeaders(headers)
    const fired = this.#rewriteResponse(clientHeaders)
    try {
      if (statusMessage) res.writeHead(statusCode, statusMessage, clientHeaders)
      else res.writeHead(statusCode, clientHeaders)
    } catch (cause) {
      // Node refuses header values it considers invalid; nothing was sent yet.
      this.#fail(new ProxyError('UPSTREAM_BAD_RESPONSE', (cause as Error).message, { cause }))
      return
    }
    // Headers go out now, not with the first body byte: a stream's first event may be seconds away.
    // Corked until this parse of the upstream read is over, so a short response still leaves in one write.
    res.cork()
    res.flushHeaders()
    queueMicrotask(() => res.uncork())
    const contentType = headers['content-type']
    this.#isAppendableSse =
      typeof contentType === 'string' &&
      isEventStream(contentType) &&
      headers['content-encoding'] === undefined &&
      headers['content-length'] === undefined
    this.#announceResponse(statusCode, headers, fired, clientHeaders)
    this.#context.onOverhead?.(this.requestOverheadMs + performance.now() - headStartedAt)
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#phase === 'ended') return
    if (this.#demoted !== null) {
      const overflow = this.#demoted.push(chunk)
      if (overflow !== null) return this.#fail(overflow)
      this.#context.observer?.onChunk(this.#id, chunk, performance.now() - this.#startedAtMs)
      return
    }
    if (this.#translation !== null) {
      const translated = this.#translation.push(chunk)
      if (translated instanceof ProxyError) return this.#fail(translated)
      if (translated.length > 0) this.#relay(controller, translated)
      return
    }
    this.#relay(controller, chunk)
  }

  /** Writes bytes to the client (pausing upstream while its socket is full), then tells the observer. */
  #relay(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.#res.write(chunk)) {
      controller.pause()
      this.#res.once('drain', this.#resume)
    }
    if (this.#isAppendableSse && chunk.length > 0) {
      this.#byteBeforeLast = chunk.length > 1 ? chunk[chunk.length - 2] : this.#lastByte
      this.#lastByte = chunk[chunk.length - 1]
    }
    this.#context.observer?.onChunk(this.#id, chunk, performance.now() - this.#startedAtMs)
  }

  onResponseEnd(): void {
    if (this.#phase === 'ended') return
    if (this.#demoted !== null) return this.#answerDemoted(this.#demoted)
    if (this.#translation !== null) return this.#endTranslated(this.#translation)
    this.#res.end()
    this.#finish({ kind: 'completed', offsetMs: performance.now() - this.#startedAtMs })
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, cause: Error): void {
    // After a client hang-up this is undici reporting the abort we asked for.
    if (this.#phase === 'ended') return
    this.#fail(classifyUpstreamError(cause, this.#phase))
  }

  /** `res` 'close': the client connection is gone. Before `end()` that means the client hung up. */
  readonly onClientClose = (): void => {
    if (this.#phase === 'ended') return
    this.#finish({ kind: 'aborted', offsetMs: performance.now() - this.#startedAtMs })
    this.#controller?.abort(clientGone())
  }

  readonly #resume = (): void => {
    this.#controller?.resume()
  }

  /** Applies the RESPONSE rules to `clientHeaders` in place. */
  #rewriteResponse(clientHeaders: Record<string, string | string[]>): readonly FiredHeaderRule[] {
    return this.#rules === null ? NONE_FIRED : this.#rules.rewrite.rewriteResponse(clientHeaders, this.#rules.facts)
  }

  #announceResponse(
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    fired: readonly FiredHeaderRule[],
    clientHeaders: Record<string, string | string[]> | undefined,
  ): void {
    this.#context.observer?.onResponse(this.#id, {
      status: statusCode,
      headers: headers as Record<string, string | string[]>,
      offsetMs: performance.now() - this.#startedAtMs,
      ...(fired.length > 0 ? { headerRulesFired: fired, clientHeaders } : {}),
    })
  }

  /**
   * The demoted stream ended: the client gets the Message, or the status and envelope of the
   * error event upstream sent; a stream cut before message_stop fails like a reset.
   */
  #answerDemoted(demoted: DemotedResponse): void {
    const answer = demoted.answer()
    if (answer instanceof ProxyError) return this.#fail(answer)
    this.#rewriteResponse(answer.headers)
    const res = this.#res
    try {
      if (answer.statusMessage) res.writeHead(answer.status, answer.statusMessage, answer.headers)
      else res.writeHead(answer.status, answer.headers)
    } catch (cause) {
      return this.#fail(new ProxyError('UPSTREAM_BAD_RESPONSE', (cause as Error).message, { cause }))
    }
    res.end(answer.body)
    this.#finish({ kind: 'completed', offsetMs: performance.now() - this.#startedAtMs })
  }

  /**
   * A translated response begins: a stream's head goes out at once, a held answer's waits for its
   * end (and so is announced then, with the status the client actually gets).
   */
  #beginTranslated(translation: ResponseTranslation, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    const head = translation.begin(statusCode, headers)
    if (head === null) return
    if (!this.#writeTranslatedHead(head)) return
    this.#res.flushHeaders()
    this.#isAppendableSse = translation.isSse
    this.#announceResponse(head.status, head.headers, NONE_FIRED, undefined)
  }

  /** Upstream's body ended: the last bytes of a translated stream, or the whole held answer. */
  #endTranslated(translation: ResponseTranslation): void {
    const { head, body } = translation.end()
    if (head !== null) {
      if (!this.#writeTranslatedHead(head)) return
      this.#announceResponse(head.status, head.headers, NONE_FIRED, undefined)
    }
    this.#res.end(body)
    if (body.length > 0) this.#context.observer?.onChunk(this.#id, body, performance.now() - this.#startedAtMs)
    this.#finish({ kind: 'completed', offsetMs: performance.now() - this.#startedAtMs })
  }

  /** False when node refused the head (the exchange has then failed). */
  #writeTranslatedHead(head: TranslatedHead): boolean {
    try {
      this.#res.writeHead(head.status, head.headers)
      return true
    } catch (cause) {
      this.#fail(new ProxyError('UPSTREAM_BAD_RESPONSE', (cause as Error).message, { cause }))
      return false
    }
  }

  /**
   * A proxy-made failure: before headers the client gets the error envelope; mid-body an SSE
   * stream gets a final error event when one can be parsed at this point, anything else is cut.
   */
  #fail(error: ProxyError): void {
    const res = this.#res
    if (!res.headersSent) sendAnthropicError(res, error)
    else if (this.#isAppendableSse && isLineEnd(this.#lastByte)) {
      // After a complete line inside an event, a blank line first ends that event; an extra blank
      // line where one event just ended is harmless, but this keeps the bytes minimal.
      const endsEvent = this.#lastByte === this.#byteBeforeLast
      res.end(endsEvent ? sseErrorEvent(error) : `\n${sseErrorEvent(error)}`)
    } else res.destroy()
    this.#finish({ kind: 'failed', offsetMs: performance.now() - this.#startedAtMs, error: error.toFailure() })
    // Stop upstream too when the failure was ours (a response node refused); undici ignores it otherwise.
    this.#controller?.abort(error)
    logProxyFailure(this.#context.logger, error, {
      id: this.#id,
      method: this.#req.method ?? 'GET',
      url: this.#req.url ?? '/',
      body: this.#body,
      anthropicBeta: this.#req.headers['anthropic-beta'],
      elapsedMs: performance.now() - this.#startedAtMs,
    })
  }

  #finish(outcome: ExchangeOutcome): void {
    assert.notEqual(this.#phase, 'ended', 'an exchange ends exactly once')
    this.#phase = 'ended'
    this.#context.onSettled()
    this.#context.observer?.onEnd(this.#id, outcome)
  }
}

function isLineEnd(byte: number): boolean {
  return byte === NEWLINE || byte === CARRIAGE_RETURN
}

function clientGone(): Error {
  return new Error('The client closed the connection')
}
