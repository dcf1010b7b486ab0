/**
 * A provider's error as the Anthropic error a client of /v1/messages expects: the status kept, the
 * body rewritten as Anthropic's envelope with the error type the API uses for that status, so an
 * SDK raises the same class (RateLimitError for 429, AuthenticationError for 401, …).
 */
import { errorEnvelopeJson, type AnthropicError } from '../error-envelope'
import { isJsonObject, parseJsonObject } from '../json-object'

/** Error type Anthropic answers with, by HTTP status. */
const ERROR_TYPE_BY_STATUS: ReadonlyMap<number, string> = new Map([
  [400, 'invalid_request_error'],
  [401, 'authentication_error'],
  [402, 'billing_error'],
  [403, 'permission_error'],
  [404, 'not_found_error'],
  [413, 'request_too_large'],
  [422, 'invalid_request_error'],
  [429, 'rate_limit_error'],
  [503, 'overloaded_error'],
  [504, 'timeout_error'],
  [529, 'overloaded_error'],
])

/** The Anthropic error type for a provider's HTTP status: other 4xx are invalid requests, other 5xx api errors. */
export function errorTypeForStatus(status: number): string {
  return ERROR_TYPE_BY_STATUS.get(status) ?? (status >= 400 && status < 500 ? 'invalid_request_error' : 'api_error')
}

/**
 * The error a provider answered: its `error.message` (OpenAI's `{"error":{"message":…}}`, also a
 * bare string `error`), else its whole body text, prefixed with the provider's name.
 */
export function toAnthropicError(status: number, bodyText: string, provider: string): AnthropicError {
  const body = parseJsonObject(bodyText)
  return { type: errorTypeForStatus(status), message: `${provider}: ${providerErrorMessage(body) ?? (bodyText.trim() || `HTTP ${status}`)}` }
}

/** The envelope's JSON text for a provider's error answer. */
export function toAnthropicErrorJson(status: number, bodyText: string, provider: string): string {
  return errorEnvelopeJson(toAnthropicError(status, bodyText, provider))
}

/** What an OpenAI-style error object says, or null when `body` is not one. */
export function providerErrorMessage(body: Readonly<Record<string, unknown>> | null): string | null {
  const error = body?.error
  if (typeof error === 'string' && error !== '') return error
  if (!isJsonObject(error)) return null
  if (typeof error.message === 'string' && error.message !== '') return error.message
  return typeof error.type === 'string' ? error.type : typeof error.code === 'string' ? error.code : null
}
