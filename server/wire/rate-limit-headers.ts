/**
 * Anthropic's rate-limit response headers, read into typed fields. Every field is null when its
 * header is absent or does not hold what it should (a malformed value is never NaN, and never 0):
 * a utilization of 0 is a fact worth keeping, an absent header is not a 0.
 *
 * The standard families (`requests`, `tokens`, `input-tokens`, `output-tokens`) carry a limit,
 * what remains and when it refills (RFC 3339). Subscription (OAuth) traffic carries the unified
 * family instead: an overall status and reset, the 5-hour and 7-day windows (utilization as a 0–1
 * fraction, reset as Unix seconds), the claim that decided the status, fallback and overage.
 * Resets are read in either form, whichever the header holds.
 */

/** Prefix of every rate-limit header; `headers` keeps all of them verbatim, known or not. */
export const RATE_LIMIT_HEADER_PREFIX = 'anthropic-ratelimit-'

export interface RateLimitHeaders {
  requestsLimit: number | null
  requestsRemaining: number | null
  requestsReset: Date | null
  tokensLimit: number | null
  tokensRemaining: number | null
  tokensReset: Date | null
  inputTokensLimit: number | null
  inputTokensRemaining: number | null
  inputTokensReset: Date | null
  outputTokensLimit: number | null
  outputTokensRemaining: number | null
  outputTokensReset: Date | null
  /** e.g. `allowed`, `allowed_warning`, `rejected` (lower-cased). */
  unifiedStatus: string | null
  unifiedReset: Date | null
  /** The unified family's own `remaining`, when sent. */
  unifiedRemaining: number | null
  /** The window that decided the unified status, e.g. `five_hour`, `seven_day`. */
  unifiedRepresentativeClaim: string | null
  /** Fraction of the 5-hour window used, 0 to 1 (may exceed 1 past the limit). */
  unified5hUtilization: number | null
  unified5hReset: Date | null
  unified5hStatus: string | null
  /** Fraction of the 7-day window used, 0 to 1 (may exceed 1 past the limit). */
  unified7dUtilization: number | null
  unified7dReset: Date | null
  unified7dStatus: string | null
  /** Whether a fallback model is offered, e.g. `available`. */
  unifiedFallback: string | null
  unifiedFallbackPercentage: number | null
  unifiedOverageStatus: string | null
  unifiedOverageReason: string | null
  unifiedOverageDisabledReason: string | null
  unifiedOverageUtilization: number | null
  unifiedOverageReset: Date | null
  /**
   * Seconds the client is asked to wait (`retry-after`, in seconds or as an HTTP date, or the
   * SDKs' `retry-after-ms`); fractional when given in milliseconds.
   */
  retryAfterSeconds: number | null
  /** Every `anthropic-ratelimit-*` header and `retry-after`/`retry-after-ms`, verbatim (first value of a repeated one). */
  headers: Record<string, string>
}

type HeaderValues = Readonly<Record<string, string | string[] | number | undefined>>

/** The fields read from one header each. */
type HeaderField = Exclude<keyof RateLimitHeaders, 'retryAfterSeconds' | 'headers'>

/** Each field's header (after the prefix) and how its value is read. */
const HEADER_FIELDS: { [K in HeaderField]: [suffix: string, parse: (value: string) => RateLimitHeaders[K]] } = {
  requestsLimit: ['requests-limit', parseCount],
  requestsRemaining: ['requests-remaining', parseCount],
  requestsReset: ['requests-reset', parseInstant],
  tokensLimit: ['tokens-limit', parseCount],
  tokensRemaining: ['tokens-remaining', parseCount],
  tokensReset: ['tokens-reset', parseInstant],
  inputTokensLimit: ['input-tokens-limit', parseCount],
  inputTokensRemaining: ['input-tokens-remaining', parseCount],
  inputTokensReset: ['input-tokens-reset', parseInstant],
  outputTokensLimit: ['output-tokens-limit', parseCount],
  outputTokensRemaining: ['output-tokens-remaining', parseCount],
  outputTokensReset: ['output-tokens-reset', parseInstant],
  unifiedStatus: ['unified-status', parseWord],
  unifiedReset: ['unified-reset', parseInstant],
  unifiedRemaining: ['unified-remaining', parseCount],
  unifiedRepresentativeClaim: ['unified-representative-claim', parseWord],
  unified5hUtilization: ['unified-5h-utilization', parseFraction],
  unified5hReset: ['unified-5h-reset', parseInstant],
  unified5hStatus: ['unified-5h-status', parseWord],
  unified7dUtilization: ['unified-7d-utilization', parseFraction],
  unified7dReset: ['unified-7d-reset', parseInstant],
  unified7dStatus: ['unified-7d-status', parseWord],
  unifiedFallback: ['unified-fallback', parseWord],
  unifiedFallbackPercentage: ['unified-fallback-percentage', parseFraction],
  unifiedOverageStatus: ['unified-overage-status', parseWord],
  unifiedOverageReason: ['unified-overage-reason', parseWord],
  unifiedOverageDisabledReason: ['unified-overage-disabled-reason', parseWord],
  unifiedOverageUtilization: ['unified-overage-utilization', parseFraction],
  unifiedOverageReset: ['unified-overage-reset', parseInstant],
}

/** Full header name → the field it fills: a response carries a few of these headers, so only those are looked at. */
const FIELD_OF_HEADER = new Map(Object.entries(HEADER_FIELDS).map(([field, [suffix, parse]]) => [RATE_LIMIT_HEADER_PREFIX + suffix, { field, parse: parse as (value: string) => unknown }]))

/**
 * The rate-limit facts of a response's headers (names in lower case, as Node gives them), or null
 * when it carries none of these headers. `receivedAt` turns an HTTP-date `retry-after` into seconds.
 */
export function parseRateLimitHeaders(headers: HeaderValues, receivedAt: Date): RateLimitHeaders | null {
  let raw: Record<string, string> | null = null
  for (const name in headers) {
    if (!name.startsWith(RATE_LIMIT_HEADER_PREFIX) && name !== 'retry-after' && name !== 'retry-after-ms') continue
    const value = headers[name]
    const first = Array.isArray(value) ? value[0] : value
    if (first !== undefined) (raw ??= {})[name] = String(first)
  }
  if (raw === null) return null
  const parsed = noRateLimitHeaders(raw, parseRetryAfter(raw['retry-after'], raw['retry-after-ms'], receivedAt))
  const fields = parsed as unknown as Record<string, unknown>
  for (const name in raw) {
    const known = FIELD_OF_HEADER.get(name)
    if (known !== undefined) fields[known.field] = known.parse(raw[name]!)
  }
  return parsed
}

/**
 * Every field null, as a literal: one object shape for every response, whichever headers it
 * carries (a copy of a template built from HEADER_FIELDS' keys took thirty times as long).
 */
function noRateLimitHeaders(headers: Record<string, string>, retryAfterSeconds: number | null): RateLimitHeaders {
  return {
    requestsLimit: null,
    requestsRemaining: null,
    requestsReset: null,
    tokensLimit: null,
    tokensRemaining: null,
    tokensReset: null,
    inputTokensLimit: null,
    inputTokensRemaining: null,
    inputTokensReset: null,
    outputTokensLimit: null,
    outputTokensRemaining: null,
    outputTokensReset: null,
    unifiedStatus: null,
    unifiedReset: null,
    unifiedRemaining: null,
    unifiedRepresentativeClaim: null,
    unified5hUtilization: null,
    unified5hReset: null,
    unified5hStatus: null,
    unified7dUtilization: null,
    unified7dReset: null,
    unified7dStatus: null,
    unifiedFallback: null,
    unifiedFallbackPercentage: null,
    unifiedOverageStatus: null,
    unifiedOverageReason: null,
    unifiedOverageDisabledReason: null,
    unifiedOverageUtilization: null,
    unifiedOverageReset: null,
    retryAfterSeconds,
    headers,
  }
}

const COUNT = /^\d{1,16}$/
const DECIMAL = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/
const EPOCH_SECONDS = /^\d{1,12}(?:\.\d+)?$/
/** RFC 3339 date-time: a date, `T` (or a space), a time with optional fraction, and a zone. */
const RFC_3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/
/** A status or reason: a short token such as `allowed_warning` or `org_level_disabled`. */
const WORD = /^[A-Za-z0-9_.:-]{1,100}$/
/** An HTTP date (IMF-fixdate), as `retry-after` may hold instead of seconds. */
const HTTP_DATE = /^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/

/** A non-negative whole number that is exact as a JS number; null otherwise. */
export function parseCount(value: string | undefined): number | null {
  const text = value?.trim()
  if (text === undefined || !COUNT.test(text)) return null
  const n = Number(text)
  return Number.isSafeInteger(n) ? n : null
}

/** A non-negative finite decimal (utilization, percentage); null otherwise. */
export function parseFraction(value: string | undefined): number | null {
  const text = value?.trim()
  if (text === undefined || !DECIMAL.test(text)) return null
  const n = Number(text)
  return Number.isFinite(n) ? n : null
}

/** Unix seconds or an RFC 3339 date-time; null for anything else or an impossible date. */
export function parseInstant(value: string | undefined): Date | null {
  const text = value?.trim()
  if (text === undefined) return null
  let ms: number
  if (EPOCH_SECONDS.test(text)) ms = Number(text) * 1000
  else if (RFC_3339.test(text)) ms = Date.parse(text.replace(' ', 'T'))
  else return null
  if (!Number.isFinite(ms)) return null
  const date = new Date(Math.round(ms))
  return Number.isNaN(date.getTime()) ? null : date
}

function parseWord(value: string | undefined): string | null {
  const text = value?.trim().toLowerCase()
  return text !== undefined && WORD.test(text) ? text : null
}

/** `retry-after-ms` when valid (the SDKs prefer it), else `retry-after` in seconds or as an HTTP date (never negative). */
function parseRetryAfter(seconds: string | undefined, milliseconds: string | undefined, receivedAt: Date): number | null {
  const ms = parseFraction(milliseconds)
  if (ms !== null) return ms / 1000
  const s = parseFraction(seconds)
  if (s !== null) return s
  const text = seconds?.trim()
  if (text === undefined || !HTTP_DATE.test(text)) return null
  const at = Date.parse(text)
  return Number.isNaN(at) ? null : Math.max(0, (at - receivedAt.getTime()) / 1000)
}
