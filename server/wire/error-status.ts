/** The HTTP status the API answers a non-streaming request with, by `error.type` (Anthropic's error reference). */
const STATUS_BY_ERROR_TYPE: ReadonlyMap<string, number> = new Map([
  ['invalid_request_error', 400],
  ['authentication_error', 401],
  ['billing_error', 402],
  ['permission_error', 403],
  ['not_found_error', 404],
  ['request_too_large', 413],
  ['rate_limit_error', 429],
  ['api_error', 500],
  ['timeout_error', 504],
  ['overloaded_error', 529],
])

/** Status for an error type, e.g. a mid-stream `error` event's; 500 (api_error's) for a type this table does not know. */
export function statusForErrorType(type: string): number {
  return STATUS_BY_ERROR_TYPE.get(type) ?? 500
}
