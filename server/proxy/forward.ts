import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import { performance } from 'node:perf_hooks'
import { Pool } from 'undici'
import type { Logger } from '../logger'
import { demotedRequestBody, withIdentityEncoding } from './demotion'
import { logProxyFailure } from './failure-log'
import { NO_HEADER_REWRITE, NONE_FIRED, type HeaderRewrite } from './header-rewrite'
import { toUpstreamHeaders } from './hop-by-hop'
import { requestModelOf } from '../wire/request-model'
import { ProxyError, sendAnthropicError } from './proxy-errors'
import { guardObserver, type ProxyObserver } from './proxy-observer'
import { leavesApiRoot } from './api-path'
import { answerPreflight, createOriginCheck, isPreflight, setCorsHeaders, type OriginDecision } from './origin-policy'
import { createTokenCheck } from './proxy-token'
import { readBody, type BodyReading } from './read-body'
import { UpstreamExchange, type ExchangeContext, type ExchangeRules } from './upstream-exchange'
import { pooledUuidV7 } from './uuid-v7'
import { CHAT_COMPLETIONS_PATH, ProviderForwarding, type ProviderPlan } from './provider-forwarding'
import type { Routing } from './provider-route'

export interface ProxyOptions {
  /** Upstream base URL, e.g. `https://api.anthropic.com`; a path prefix, if any, is joined before the request path. */
  forwardUrl: string
  /**
   * Longest wait for upstream response headers once the request is sent (504 after). Bounds
   * nothing else. undici's timers are coarse: expect it to fire up to about a second late.
   */
  headerTimeoutMs: number
  /** Longest silence between two upstream body reads before the response is cut; never a total limit. Same precision. */
  idleTimeoutMs: number
  /** Largest request body accepted; larger ones get 413 before anything is sent upstream. */
  maxBodyBytes: number
  /**
   * Longest a request body may take to arrive once its headers are in (408 and the connection
   * closed after). Bounds receiving only, never the response. @default 60_000
   */
  receiveTimeoutMs?: number
  /**
   * Web origins whose pages may call /v1/* (exact `scheme://host[:port]`). Every other request
   * carrying `Origin` or a cross-site `Sec-Fetch-Site` gets 403, its preflight too. @default []
   */
  allowedOrigins?: readonly string[]
  /**
   * Demotion: a `POST /v1/messages` whose JSON body does not ask for a stream is sent upstream
   * with `"stream": true` (a byte edit of that one member) and the client gets the accumulated
   * Message as JSON, or the error status the API would have answered with. Off, requests cost
   * nothing extra. @default false
   */
  demoteNonStreaming?: boolean
  /**
   * Most bytes of upstream's stream held for one demoted answer; past it the client gets 502
   * UPSTREAM_BAD_RESPONSE and upstream is aborted. @default 256 MiB (DEMOTED_STREAM_MAX_BYTES)
   */
  demotedStreamMaxBytes?: number
  /**
   * When set, every request must carry `x-claudescope-token` with this value (401 otherwise,
   * compared in constant time). The header is never forwarded, set or not.
   */
  proxyToken?: string
  /**
   * The header rules in force, read once per exchange (its request and its response use the same
   * snapshot): a change is seen by the next request. Called on the forwarding path, so it must
   * return a compiled snapshot at once, never wait. @default no rules
   */
  headerRewrite?: () => HeaderRewrite
  /**
   * Sends chosen POST /v1/messages requests (translated) and POST /v1/chat/completions to
   * OpenAI-compatible providers instead of Anthropic. Absent: everything goes to Anthropic.
   */
  routing?: Routing
  /** Told about every forwarded exchange; when absent the proxy does no observation work at all. */
  observer?: ProxyObserver
  logger: Logger
  /** Record ids. @default UUIDv7 */
  newId?: () => string
  /**
   * Told, once per exchange that got a response head, the milliseconds the proxy itself spent on
   * it: from the complete request body to the upstream dispatch, plus handling the response head.
   * Upstream's time and the client's upload are not in it. For the added-latency metric.
   */
  onOverhead?: (ms: number) => void
}

export interface Proxy {
  /** Forwards one `/v1/*` request; never throws, answers every failure itself. */
  handle(req: IncomingMessage, res: ServerResponse): void
  /** Exchanges between entry to `handle` and their end, refused ones included (for /livez and drain). */
  readonly inFlight: number
  /**
   * Draining, past the grace: from now on every request gets 503 (DRAINING), and requests whose
   * body is still arriving are cut with it at once, so a stalled upload cannot hold up the drain.
   */
  refuseNewWork(): void
  /** Closes upstream connections. Exchanges still running are cut and end as failed: drain first. */
  close(): Promise<void>
}

/** The forwarding hot path, faithful byte for byte and never waiting on capture or the database: one keep-alive connection pool to the upstream origin. */
export function createProxy(options: ProxyOptions): Proxy {
  return new ForwardingProxy(options)
}

/** Bigger than node's 16 KiB default: Anthropic answers carry dozens of rate-limit headers. */
const MAX_RESPONSE_HEADER_BYTES = 64 * 1024

const EMPTY_BODY = Buffer.alloc(0)

class ForwardingProxy implements Proxy {
  #inFlight = 0
  readonly #pool: Pool
  readonly #context: ExchangeContext
  /** Upstream base path without a trailing slash ('' for a bare origin), prefixed to the client's path. */
  readonly #basePath: string
  readonly #headerTimeoutMs: number
  readonly #idleTimeoutMs: number
  readonly #bodyLimits: { maxBytes: number; timeoutMs: number }
  readonly #demotesNonStreaming: boolean
  readonly #isAuthorized: ((rawHeaders: readonly string[]) => boolean) | null
  readonly #checkOrigin: (rawHeaders: readonly string[]) => OriginDecision
  /** Bodies being read right now; cut when new work is refused. */
  readonly #receiving = new Set<BodyReading>()
  #isRefusingNewWork = false
  readonly #newId: () => string
  readonly #headerRewrite: () => HeaderRewrite
  readonly #logger: Logger
  readonly #providers: ProviderForwarding | null

  constructor(options: ProxyOptions) {
    const upstream = new URL(options.forwardUrl)
    this.#pool = new Pool(upstream.origin, { maxHeaderSize: MAX_RESPONSE_HEADER_BYTES })
    this.#basePath = upstream.pathname.replace(/\/+$/, '')
    this.#headerTimeoutMs = options.headerTimeoutMs
    this.#idleTimeoutMs = options.idleTimeoutMs
    this.#bodyLimits = { maxBytes: options.maxBodyBytes, timeoutMs: options.receiveTimeoutMs ?? 60_000 }
    this.#checkOrigin = createOriginCheck(options.allowedOrigins ?? [])
    this.#demotesNonStreaming = options.demoteNonStreaming ?? false
    this.#isAuthorized = options.proxyToken ? createTokenCheck(options.proxyToken) : null
    this.#newId = options.newId ?? pooledUuidV7()
    this.#headerRewrite = options.headerRewrite ?? (() => NO_HEADER_REWRITE)
    this.#logger = options.logger
    this.#providers = options.routing ? new ProviderForwarding({ routing: options.routing, maxHeldBytes: options.demotedStreamMaxBytes ?? 256 * 1024 * 1024 }) : null
    this.#context = {
      observer: options.observer && guardObserver(options.observer, options.logger),
      logger: options.logger,
      onSettled: () => {
        this.#inFlight--
      },
      onOverhead: options.onOverhead,
      demotedStreamMaxBytes: options.demotedStreamMaxBytes ?? 256 * 1024 * 1024,
    }
  }

  get inFlight(): number {
    return this.#inFlight
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const startedAtMs = performance.now()
    this.#inFlight++
    // Each upstream read must leave at once, not wait for an ACK to coalesce (no-op when already off).
    res.socket?.setNoDelay(true)
    const refusal = this.#admit(req, res)
    if (refusal === ANSWERED) {
      this.#inFlight--
      return
    }
    if (refusal !== null) {
      this.#refuse(req, res, startedAtMs, null, refusal)
      return
    }
    const reading = readBody(req, this.#bodyLimits)
    this.#receiving.add(reading)
    reading.body.then(
      (body) => {
        this.#receiving.delete(reading)
        if (body === null) {
          this.#inFlight--
          return
        }
        try {
          this.#forward(req, res, startedAtMs, body)
        } catch (error) {
          // A defect (a throwing newId, say): #forward throws only before the exchange is registered.
          this.#refuse(req, res, startedAtMs, body, asProxyError(error))
        }
      },
      (error: unknown) => {
        this.#receiving.delete(reading)
        this.#refuse(req, res, startedAtMs, null, asProxyError(error))
      },
    )
  }

  refuseNewWork(): void {
    this.#isRefusingNewWork = true
    for (const reading of this.#receiving) reading.cancel(new ProxyError('DRAINING', 'the request body was still arriving'))
  }

  /**
   * The checks made on the request head, cheapest first: draining, browser origin, proxy token,
   * path. Returns the refusal, ANSWERED when it answered a CORS preflight itself, or null to go on.
   */
  #admit(req: IncomingMessage, res: ServerResponse): ProxyError | typeof ANSWERED | null {
    if (this.#isRefusingNewWork) return new ProxyError('DRAINING')
    const origin = this.#checkOrigin(req.rawHeaders)
    if (origin instanceof ProxyError) return origin
    if (origin !== null) {
      // A preflight never carries the proxy token, so it is answered before the token is checked.
      if (isPreflight(req.method ?? 'GET', req.headers)) {
        answerPreflight(res, origin.allowedOrigin, req.headers['access-control-request-method']!, req.headers['access-control-request-headers'])
        return ANSWERED
      }
      setCorsHeaders(res, origin.allowedOrigin)
    }
    if (this.#isAuthorized !== null && !this.#isAuthorized(req.rawHeaders)) return new ProxyError('PROXY_UNAUTHORIZED')
    const path = pathOf(req.url ?? '/')
    if (leavesApiRoot(path)) return new ProxyError('PATH_OUTSIDE_API', `${path} resolves outside /v1/`)
    return null
  }

  close(): Promise<void> {
    return Promise.all([this.#pool.destroy(), this.#providers?.close()]).then(() => undefined)
  }

  /** Announces the exchange and hands it to undici; from here on the exchange settles itself. */
  #forward(req: IncomingMessage, res: ServerResponse, startedAtMs: number, clientBody: Buffer): void {
    const forwardStartedAt = performance.now()
    // The client left right after its last byte, before 'close' could reach an exchange.
    if (res.destroyed) {
      this.#inFlight--
      return
    }
    const id = this.#newId()
    const method = req.method ?? 'GET'
    const url = req.url ?? '/'
    const path = pathOf(url)
    // Never sent on to Anthropic: its body and credentials are meant for an OpenAI-compatible server.
    if (method === 'POST' && path === CHAT_COMPLETIONS_PATH && !(this.#providers?.servesChatCompletions ?? false)) {
      return this.#refuse(req, res, startedAtMs, clientBody, new ProxyError('CHAT_COMPLETIONS_NOT_CONFIGURED'))
    }
    const plan = this.#providers?.plan(req, method, url, path, clientBody) ?? null
    if (plan instanceof ProxyError) return this.#refuse(req, res, startedAtMs, clientBody, plan)
    if (plan !== null) return this.#forwardToProvider(req, res, startedAtMs, id, clientBody, plan)
    const demotedBody = this.#demotesNonStreaming ? demotedRequestBody(method, path, req.headers, clientBody) : null
    const body = demotedBody ?? clientBody
    let upstreamHeaders = toUpstreamHeaders(req.rawHeaders, body.length)
    if (demotedBody !== null) upstreamHeaders = withIdentityEncoding(upstreamHeaders)
    const rewrite = this.#headerRewrite()
    let rules: ExchangeRules | null = null
    let requestRulesFired = NONE_FIRED
    if (!rewrite.isEmpty) {
      // The model is read only when a rule matches on it; capture reuses the same scan of the body.
      rules = { rewrite, facts: { path, model: rewrite.needsModel ? requestModelOf(clientBody) : null } }
      requestRulesFired = rewrite.rewriteRequest(upstreamHeaders, rules.facts)
    }
    this.#context.observer?.onStart({
      id,
      startedAt: Date.now() - (performance.now() - startedAtMs),
      method,
      path,
      query: queryOf(url),
      clientHeaders: req.headers,
      upstreamHeaders: toHeaderRecord(upstreamHeaders),
      headerRulesFired: requestRulesFired,
      body,
      clientBody,
      demoted: demotedBody !== null,
    })
    const exchange = new UpstreamExchange(this.#context, req, res, id, startedAtMs, body, demotedBody !== null, rules)
    res.on('close', exchange.onClientClose)
    // Never throws: undici reports every failure, argument errors included, to the exchange.
    this.#pool.dispatch(
      {
        path: this.#basePath + url,
        method,
        headers: upstreamHeaders,
        body: body.length > 0 ? body : null,
        headersTimeout: this.#headerTimeoutMs,
        bodyTimeout: this.#idleTimeoutMs,
      },
      exchange,
    )
    exchange.requestOverheadMs = performance.now() - forwardStartedAt
  }

  /** Announces and dispatches an exchange that goes to an OpenAI-compatible provider. */
  #forwardToProvider(req: IncomingMessage, res: ServerResponse, startedAtMs: number, id: string, clientBody: Buffer, plan: ProviderPlan): void {
    const forwardStartedAt = performance.now()
    const upstreamHeaders = toHeaderRecord(plan.headers)
    // The provider's key is nobody else's business: observers see that one was sent, not which.
    upstreamHeaders.authorization = 'Bearer (provider key)'
    this.#context.observer?.onStart({
      ...startFields(req, id, startedAtMs),
      upstreamHeaders,
      body: plan.body,
      clientBody,
      route: {
        provider: plan.provider.name,
        routedModel: plan.routedModel,
        translation: plan.translation === null ? null : 'anthropic-to-chat-completions',
      },
    })
    const exchange = new UpstreamExchange(this.#context, req, res, id, startedAtMs, plan.body, false, null, plan.translation)
    res.on('close', exchange.onClientClose)
    this.#providers!.dispatch(plan, exchange, { headersTimeout: this.#headerTimeoutMs, bodyTimeout: this.#idleTimeoutMs })
    exchange.requestOverheadMs = performance.now() - forwardStartedAt
  }

  /**
   * Answers a request the proxy will not forward, and announces it to the observer as a start
   * (with the body only if it was read) and a refused end.
   */
  #refuse(req: IncomingMessage, res: ServerResponse, startedAtMs: number, body: Buffer | null, error: ProxyError): void {
    sendAnthropicError(res, error)
    this.#inFlight--
    const id = this.#announceRefusal(req, startedAtMs, body, error)
    logProxyFailure(this.#logger, error, {
      id,
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      body,
      anthropicBeta: req.headers['anthropic-beta'],
      elapsedMs: performance.now() - startedAtMs,
    })
  }

  /**
   * The refused request's record id, or '' when nothing is announced: without an observer, and for
   * PROXY_INTERNAL, a defect of the proxy itself whose cause may be the id source.
   */
  #announceRefusal(req: IncomingMessage, startedAtMs: number, body: Buffer | null, error: ProxyError): string {
    const observer = this.#context.observer
    if (observer === undefined || error.code === 'PROXY_INTERNAL') return ''
    const id = this.#newId()
    observer.onStart({
      ...startFields(req, id, startedAtMs),
      upstreamHeaders: {},
      body: body ?? EMPTY_BODY,
      clientBody: body ?? EMPTY_BODY,
    })
    observer.onEnd(id, { kind: 'refused', offsetMs: performance.now() - startedAtMs, error: error.toFailure() })
    return id
  }
}

/** What every announced start says of the client's request. */
function startFields(req: IncomingMessage, id: string, startedAtMs: number) {
  const url = req.url ?? '/'
  return {
    id,
    startedAt: Date.now() - (performance.now() - startedAtMs),
    method: req.method ?? 'GET',
    path: pathOf(url),
    query: queryOf(url),
    clientHeaders: req.headers,
  }
}

/** #admit's word for "a CORS preflight was answered here". */
const ANSWERED = Symbol('answered')

function pathOf(url: string): string {
  const at = url.indexOf('?')
  return at === -1 ? url : url.slice(0, at)
}

function queryOf(url: string): string | null {
  const at = url.indexOf('?')
  return at === -1 ? null : url.slice(at + 1)
}

/** The flat upstream header list as a record for observers: lower-case names, repeats as arrays. */
function toHeaderRecord(flat: readonly string[]): OutgoingHttpHeaders {
  const record: Record<string, string | string[]> = {}
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i].toLowerCase()
    const previous = record[name]
    if (previous === undefined) record[name] = flat[i + 1]
    else if (Array.isArray(previous)) previous.push(flat[i + 1])
    else record[name] = [previous, flat[i + 1]]
  }
  return record
}

function asProxyError(error: unknown): ProxyError {
  return error instanceof ProxyError ? error : new ProxyError('PROXY_INTERNAL', String(error), { cause: error })
}
