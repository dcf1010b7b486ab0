import type { ServerResponse } from 'node:http'
import { errorEnvelopeJson, type AnthropicErrorType } from '../wire/error-envelope'

/**
 * Failures the proxy itself produces, as opposed to errors upstream answered with (those are
 * relayed unchanged). Each code has one HTTP status and one Anthropic `error.type`, so SDK clients
 * react to a proxy-made failure as they would to the same failure from the API: retry 408/502/503/504,
 * give up on 400/401/403/413.
 */
export type ProxyErrorCode =
  | 'UPSTREAM_UNREACHABLE'
  | 'UPSTREAM_RESET'
  | 'UPSTREAM_HEADERS_TIMEOUT'
  | 'UPSTREAM_IDLE_TIMEOUT'
  | 'UPSTREAM_BAD_RESPONSE'
  | 'BODY_TOO_LARGE'
  | 'REQUEST_RECEIVE_TIMEOUT'
  | 'PROXY_UNAUTHORIZED'
  | 'ORIGIN_FORBIDDEN'
  | 'PATH_OUTSIDE_API'
  | 'DRAINING'
  | 'PROXY_INTERNAL'
  | 'REQUEST_NOT_TRANSLATABLE'
  | 'CHAT_COMPLETIONS_NOT_CONFIGURED'

interface CatalogueEntry {
  status: number
  type: AnthropicErrorType
  message: string
  /** Close the client connection after answering (the request body may be unread). */
  closeConnection: boolean
}

const CATALOGUE: Record<ProxyErrorCode, CatalogueEntry> = {
  UPSTREAM_UNREACHABLE: { status: 502, type: 'api_error', message: 'Claudescope could not connect to the upstream API', closeConnection: false },
  UPSTREAM_RESET: { status: 502, type: 'api_error', message: 'The upstream API closed the connection before the response was complete', closeConnection: false },
  UPSTREAM_HEADERS_TIMEOUT: { status: 504, type: 'timeout_error', message: 'The upstream API did not send response headers in time', closeConnection: false },
  UPSTREAM_IDLE_TIMEOUT: { status: 502, type: 'api_error', message: 'The upstream API stopped sending the response body', closeConnection: false },
  UPSTREAM_BAD_RESPONSE: { status: 502, type: 'api_error', message: 'The upstream API sent a malformed HTTP response', closeConnection: false },
  BODY_TOO_LARGE: { status: 413, type: 'request_too_large', message: 'Request body is larger than Claudescope accepts', closeConnection: true },
  REQUEST_RECEIVE_TIMEOUT: { status: 408, type: 'timeout_error', message: 'Claudescope did not receive the whole request in time', closeConnection: true },
  PROXY_UNAUTHORIZED: { status: 401, type: 'authentication_error', message: 'Claudescope requires a valid x-claudescope-token header', closeConnection: true },
  ORIGIN_FORBIDDEN: { status: 403, type: 'permission_error', message: 'Claudescope does not serve /v1/* to web pages', closeConnection: true },
  PATH_OUTSIDE_API: { status: 400, type: 'invalid_request_error', message: 'The request path leaves /v1/', closeConnection: true },
  DRAINING: { status: 503, type: 'overloaded_error', message: 'Claudescope is shutting down and accepts no new requests', closeConnection: true },
  PROXY_INTERNAL: { status: 500, type: 'api_error', message: 'Claudescope failed to forward the request', closeConnection: false },
  CHAT_COMPLETIONS_NOT_CONFIGURED: { status: 404, type: 'not_found_error', message: 'POST /v1/chat/completions needs a provider named openai in the routing file (CLAUDESCOPE_CONFIG)', closeConnection: false },
  REQUEST_NOT_TRANSLATABLE: { status: 400, type: 'invalid_request_error', message: 'The request is routed to another provider and could not be translated for it', closeConnection: false },
}

/** A proxy-made failure as plain data, the form observers get it in: what the client was answered with. */
export interface ProxyFailure {
  readonly code: ProxyErrorCode
  /** HTTP status the client gets when the failure happens before any response byte. */
  readonly status: number
  /** The `error.type` of the envelope the client gets. */
  readonly type: AnthropicErrorType
  /** The envelope's `error.message`: the catalogue message, then what was expected and what happened. */
  readonly message: string
}

export class ProxyError extends Error implements ProxyFailure {
  override readonly name = 'ProxyError'
  readonly code: ProxyErrorCode
  /** HTTP status the client gets when the failure happens before any response byte. */
  readonly status: number
  readonly type: AnthropicErrorType

  /** `detail` is appended to the catalogue message: what was expected and what happened. */
  constructor(code: ProxyErrorCode, detail?: string, options?: { cause?: unknown }) {
    const entry = CATALOGUE[code]
    super(detail ? `${entry.message}: ${detail}` : entry.message, options)
    this.code = code
    this.status = entry.status
    this.type = entry.type
  }

  /** The failure without its stack and cause, for observers. */
  toFailure(): ProxyFailure {
    return { code: this.code, status: this.status, type: this.type, message: this.message }
  }
}

/**
 * Answers with the error's status and Anthropic's envelope. When a response is already under way
 * (headers sent) nothing well-formed can follow, so the client connection is destroyed instead.
 */
export function sendAnthropicError(res: ServerResponse, err: ProxyError): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const body = errorEnvelopeJson(err)
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  }
  if (CATALOGUE[err.code].closeConnection) headers.connection = 'close'
  res.writeHead(err.status, headers)
  res.end(body)
}

/** Where an upstream exchange was when it failed; decides between "unreachable" and "reset". */
export type UpstreamPhase = 'connecting' | 'awaiting-headers' | 'body'

/**
 * Maps an undici failure to our code. Before a connection exists every failure means upstream is
 * unreachable; after it, a closed socket is a reset. Timeouts keep their own codes whatever the phase.
 */
export function classifyUpstreamError(cause: unknown, phase: UpstreamPhase): ProxyError {
  const code = errorCode(cause)
  const detail = describeCause(cause)
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return new ProxyError('UPSTREAM_HEADERS_TIMEOUT', detail, { cause })
  if (code === 'UND_ERR_BODY_TIMEOUT') return new ProxyError('UPSTREAM_IDLE_TIMEOUT', detail, { cause })
  if (code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_NOT_SUPPORTED') {
    return new ProxyError('PROXY_INTERNAL', detail, { cause })
  }
  if (phase === 'connecting') return new ProxyError('UPSTREAM_UNREACHABLE', detail, { cause })
  if (code.startsWith('HPE_') || code === 'UND_ERR_HEADERS_OVERFLOW') {
    return new ProxyError('UPSTREAM_BAD_RESPONSE', detail, { cause })
  }
  return new ProxyError('UPSTREAM_RESET', detail, { cause })
}

/** The `code` of an error-like value (`ECONNREFUSED`, `UND_ERR_SOCKET`, …), or '' when it has none. */
export function errorCode(cause: unknown): string {
  const code = (cause as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : ''
}

function describeCause(cause: unknown): string {
  const message = cause instanceof Error ? cause.message : String(cause)
  const code = errorCode(cause)
  return code && !message.includes(code) ? `${message} (${code})` : message
}
