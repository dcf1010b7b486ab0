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

/**
 * The rate-limit facts of a response's headers (names in lower case, as Node gives them), or null
 * when it carries none of these headers. `receivedAt` turns an HTTP-date `retry-after` into seconds.
 */
export function parseRateLimitHeaders(headers: HeaderValues, receivedAt: Date): RateLimitHeaders | null {
  const raw: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith(RATE_LIMIT_HEADER_PREFIX) && name !== 'retry-after' && name !== 'retry-after-ms') continue
    const first = Array.isArray(value) ? value[0] : value
    if (first !== undefined) raw[name] = String(first)
  }
  if (Object.keys(raw).length === 0) return null
  const at = (suffix: string) => raw[RATE_LIMIT_HEADER_PREFIX + suffix]
  const count = (suffix: string) => parseCount(at(suffix))
  const instant = (suffix: string) => parseInstant(at(suffix))
  const fraction = (suffix: string) => parseFraction(at(suffix))
  const word = (suffix: string) => parseWord(at(suffix))
  return {
    requestsLimit: count('requests-limit'),
    requestsRemaining: count('requests-remaining'),
    requestsReset: instant('requests-reset'),
    tokensLimit: count('tokens-limit'),
    tokensRemaining: count('tokens-remaining'),
    tokensReset: instant('tokens-reset'),
    inputTokensLimit: count('input-tokens-limit'),
    inputTokensRemaining: count('input-tokens-remaining'),
    inputTokensReset: instant('input-tokens-reset'),
    outputTokensLimit: count('output-tokens-limit'),
    outputTokensRemaining: count('output-tokens-remaining'),
    outputTokensReset: instant('output-tokens-reset'),
    unifiedStatus: word('unified-status'),
    unifiedReset: instant('unified-reset'),
    unifiedRemaining: count('unified-remaining'),
    unifiedRepresentativeClaim: word('unified-representative-claim'),
    unified5hUtilization: fraction('unified-5h-utilization'),
    unified5hReset: instant('unified-5h-reset'),
    unified5hStatus: word('unified-5h-status'),
    unified7dUtilization: fraction('unified-7d-utilization'),
    unified7dReset: instant('unified-7d-reset'),
    unified7dStatus: word('unified-7d-status'),
    unifiedFallback: word('unified-fallback'),
    unifiedFallbackPercentage: fraction('unified-fallback-percentage'),
    unifiedOverageStatus: word('unified-overage-status'),
    unifiedOverageReason: word('unified-overage-reason'),
    unifiedOverageDisabledReason: word('unified-overage-disabled-reason'),
    unifiedOverageUtilization: fraction('unified-overage-utilization'),
    unifiedOverageReset: instant('unified-overage-reset'),
    retryAfterSeconds: parseRetryAfter(raw['retry-after'], raw['retry-after-ms'], receivedAt),
    headers: raw,
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
