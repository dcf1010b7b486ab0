/**
 * Anthropic's error envelope, `{"type":"error","error":{"type":…,"message":…}}`: the body the API
 * answers a failed request with and the data of a stream's `error` event. Anthropic's SDKs parse it
 * into an APIError, so whoever answers for the API (the proxy's own failures, a demoted request's
 * answer) writes it in exactly this form.
 */
import { isJsonObject } from './json-object'

/** The `error.type` values of the envelope that the proxy answers with itself. */
export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'permission_error'
  | 'api_error'
  | 'timeout_error'
  | 'request_too_large'
  | 'authentication_error'
  | 'overloaded_error'
  | 'not_found_error'

/** The envelope's `error` member; `type` is any of the API's error types, known here or not. */
export interface AnthropicError {
  readonly type: string
  readonly message: string
}

/** The envelope as JSON text. */
export function errorEnvelopeJson(error: AnthropicError): string {
  return JSON.stringify({ type: 'error', error: { type: error.type, message: error.message } })
}

/**
 * The envelope as the last event of a stream, in the form the API itself uses for mid-stream
 * errors, so SDK clients raise instead of returning a silently truncated message.
 */
export function sseErrorEvent(error: AnthropicError): string {
  return `event: error\ndata: ${errorEnvelopeJson(error)}\n\n`
}

/** Whether JSON text is an envelope (`type` "error" and an `error` object); false for anything unparseable. */
export function isErrorEnvelopeJson(text: string): boolean {
  try {
    const value = JSON.parse(text) as { type?: unknown; error?: unknown } | null
    return typeof value === 'object' && value !== null && value.type === 'error' && typeof value.error === 'object' && value.error !== null
  } catch {
    return false
  }
}

/**
 * What a parsed envelope says went wrong: its `error.message`, or its `error.type` when the message
 * is empty or missing; null when the object carries no `error` object.
 */
export function envelopeMessage(json: Readonly<Record<string, unknown>>): string | null {
  const error = json.error
  if (!isJsonObject(error)) return null
  const { message, type } = error
  if (typeof message === 'string' && message !== '') return message
  return typeof type === 'string' ? type : null
}
