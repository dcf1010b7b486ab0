import type { Logger } from '../logger'
import { errorCode, type ProxyError } from './proxy-errors'

/** What a failure log line says about the request body; found by a cheap scan, never a JSON parse. */
export interface BodySummary {
  model: string | null
  stream: boolean
  hasThinking: boolean
}

/** Bytes looked at from each end of the body. Clients put `model` first and `stream`/`thinking` after the long `messages`. */
const SCAN_BYTES = 16 * 1024

const MODEL = /"model"\s*:\s*"((?:[^"\\]|\\.){1,200})"/
const STREAM_TRUE = /"stream"\s*:\s*true/
const THINKING_ON = /"thinking"\s*:\s*\{[^{}]*"type"\s*:\s*"(?:enabled|adaptive)"/

/**
 * Best-effort facts from the head and tail of a body (valid JSON or not). Only called on a
 * failure path, so a large body costs at most two 16 KiB scans.
 */
function summarizeBody(body: Buffer): BodySummary {
  const whole = body.length <= 2 * SCAN_BYTES
  const head = body.toString('latin1', 0, whole ? body.length : SCAN_BYTES)
  const tail = whole ? '' : body.toString('latin1', body.length - SCAN_BYTES)
  const model = MODEL.exec(head) ?? MODEL.exec(tail)
  return {
    model: model ? Buffer.from(model[1], 'latin1').toString('utf8') : null,
    stream: STREAM_TRUE.test(tail) || STREAM_TRUE.test(head),
    hasThinking: THINKING_ON.test(tail) || THINKING_ON.test(head),
  }
}

export interface FailureContext {
  /** Our record id. */
  id: string
  method: string
  /** Path and raw query as the client sent them. */
  url: string
  body: Buffer | null
  anthropicBeta: string | string[] | undefined
  elapsedMs: number
}

/**
 * The one structured line per proxy-made failure: enough to tell a header timeout on a long
 * thinking request from an unreachable upstream without opening the record.
 */
export function logProxyFailure(logger: Logger, error: ProxyError, context: FailureContext): void {
  const summary = context.body === null ? null : summarizeBody(context.body)
  const queryAt = context.url.indexOf('?')
  const fields = {
    code: error.code,
    status: error.status,
    request_id: context.id,
    method: context.method,
    path: queryAt === -1 ? context.url : context.url.slice(0, queryAt),
    query: queryAt === -1 ? '' : context.url.slice(queryAt + 1),
    model: summary?.model ?? null,
    stream: summary?.stream ?? false,
    has_thinking: summary?.hasThinking ?? false,
    body_bytes: context.body?.length ?? 0,
    anthropic_beta: Array.isArray(context.anthropicBeta) ? context.anthropicBeta.join(',') : (context.anthropicBeta ?? ''),
    elapsed: Math.round(context.elapsedMs * 10) / 10,
    ctx_err: describeContextError(error.cause),
  }
  if (error.status >= 500) logger.error(fields, error.message)
  else logger.warn(fields, error.message)
}

/** The underlying cause's code (`UND_ERR_HEADERS_TIMEOUT`, `ECONNREFUSED`, …), else its message, else ''. */
function describeContextError(cause: unknown): string {
  if (cause === undefined) return ''
  return errorCode(cause) || (cause instanceof Error ? cause.message : String(cause))
}
