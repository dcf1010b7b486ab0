import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import type { Logger } from '../logger'
import type { FiredHeaderRule } from './header-rewrite'
import type { ProxyFailure } from './proxy-errors'

export type { FiredHeaderRule, ProxyFailure }

/**
 * The lifecycle the proxy announces for every /v1/* exchange, in order:
 * `onStart` → (`onResponse` → `onChunk`*)? → `onEnd` exactly once.
 * A request the proxy refuses itself (proxy token, origin, path, body size, receive timeout,
 * draining) is announced too, as `onStart` → `onEnd` with a `refused` outcome, so what was turned
 * away can be seen; its start carries no upstream headers and the body only as far as it was read.
 *
 * The proxy passes the very buffers it forwarded (no copy, no parse) and calls each hook only
 * after the bytes were handed to the socket, so an observer can never delay forwarding.
 * Observers must not throw; the proxy guards each call anyway and logs what escapes.
 * Offsets are milliseconds since the exchange started (performance.now based, sub-ms).
 */
export interface ProxyObserver {
  onStart(exchange: ExchangeStart): void
  /** Upstream answered with a status line and headers (before any body byte). */
  onResponse(id: string, response: ExchangeResponse): void
  /** One upstream read, exactly as written to the client (a demoted exchange's client gets JSON at the end instead). */
  onChunk(id: string, chunk: Buffer, offsetMs: number): void
  onEnd(id: string, outcome: ExchangeOutcome): void
}

export interface ExchangeStart {
  /** Our record id, a UUIDv7 (time-ordered). */
  id: string
  /** Wall-clock start, epoch milliseconds. */
  startedAt: number
  method: string
  /** Path without the query string, e.g. `/v1/messages`. */
  path: string
  /** Raw query string without `?`, or null when absent. */
  query: string | null
  /** Headers as the client sent them (before header rules). */
  clientHeaders: IncomingHttpHeaders
  /** Headers as sent upstream (hop-by-hop removed, rules applied). */
  upstreamHeaders: OutgoingHttpHeaders
  /** The REQUEST header rules that fired, in the order applied. Absent or empty: none did. */
  headerRulesFired?: readonly FiredHeaderRule[]
  /** The request body exactly as forwarded; empty for a refused request whose body was not read. */
  body: Buffer
  /** The request body exactly as the client sent it: `body` itself (the same Buffer) unless demoted. */
  clientBody: Buffer
  /**
   * Demotion applies: the client asked for a JSON answer, `body` asks upstream for a stream
   * (the client's own body differs only in its `stream` member), `upstreamHeaders` ask for
   * identity encoding, and the chunks are upstream's SSE while the client gets the accumulated
   * Message, or an upstream error event's status and envelope, once the stream ends. Absent: false.
   */
  demoted?: boolean
  /**
   * The request went to an OpenAI-compatible provider instead of Anthropic: `body` is what the
   * provider got (a Chat Completions request when translated), `clientBody` what the client sent,
   * and the response announced (head and chunks) is the one the client got. Absent: Anthropic.
   */
  route?: ExchangeRoute
}

/** Where a routed exchange went. */
export interface ExchangeRoute {
  /** The provider's name from the configuration, e.g. `openai`. */
  provider: string
  /** The model sent to the provider when routing chose it; null when the client's own model went. */
  routedModel: string | null
  /** `anthropic-to-chat-completions` when the request and answer were translated; null for a pass-through. */
  translation: string | null
}

export interface ExchangeResponse {
  status: number
  /** Upstream's response headers as received (lower-case names). */
  headers: Record<string, string | string[]>
  offsetMs: number
  /**
   * The RESPONSE header rules that fired, in the order applied. Absent or empty: none did, and the
   * client got `headers` less the hop-by-hop fields.
   */
  headerRulesFired?: readonly FiredHeaderRule[]
  /** The headers returned to the client after the rules, when some fired. */
  clientHeaders?: Record<string, string | string[]>
}

export type ExchangeOutcome =
  /** Upstream's body ended normally and was fully relayed. */
  | { kind: 'completed'; offsetMs: number }
  /** Upstream failed (unreachable, reset, timeout) before or during the body. */
  | { kind: 'failed'; offsetMs: number; error: ProxyFailure }
  /** The client hung up first; the upstream request was aborted. */
  | { kind: 'aborted'; offsetMs: number }
  /** The proxy answered `error` itself and sent nothing upstream. */
  | { kind: 'refused'; offsetMs: number; error: ProxyFailure }

/** Wraps each hook so an observer defect is logged and can never break forwarding. */
export function guardObserver(observer: ProxyObserver, logger: Logger): ProxyObserver {
  const report = (hook: keyof ProxyObserver, id: string, err: unknown) =>
    logger.error({ err, hook, request_id: id }, 'proxy observer threw; forwarding continues')
  return {
    onStart(exchange) {
      try {
        observer.onStart(exchange)
      } catch (err) {
        report('onStart', exchange.id, err)
      }
    },
    onResponse(id, response) {
      try {
        observer.onResponse(id, response)
      } catch (err) {
        report('onResponse', id, err)
      }
    },
    onChunk(id, chunk, offsetMs) {
      try {
        observer.onChunk(id, chunk, offsetMs)
      } catch (err) {
        report('onChunk', id, err)
      }
    },
    onEnd(id, outcome) {
      try {
        observer.onEnd(id, outcome)
      } catch (err) {
        report('onEnd', id, err)
      }
    },
  }
}
