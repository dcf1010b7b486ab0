import { describe, expect, it } from 'vitest'
import { parseRateLimitHeaders } from '../../server/wire/rate-limit-headers'

const RECEIVED_AT = new Date('2026-12-03T12:00:00.000Z')

/** A Claude Code (OAuth subscription) response's headers, as seen on the wire, with a fresh 5-hour window. */
const SUBSCRIPTION_HEADERS = {
  'content-type': 'application/json',
  'anthropic-organization-id': '3f6b2c1e-7a3d-4e5f-9a1b-2c3d4e5f6a7b',
  'anthropic-ratelimit-unified-status': 'allowed',
  'anthropic-ratelimit-unified-reset': '1796313600',
  'anthropic-ratelimit-unified-representative-claim': 'five_hour',
  'anthropic-ratelimit-unified-fallback-percentage': '0.5',
  'anthropic-ratelimit-unified-5h-status': 'allowed',
  'anthropic-ratelimit-unified-5h-reset': '1796313600',
  'anthropic-ratelimit-unified-5h-utilization': '0',
  'anthropic-ratelimit-unified-7d-status': 'allowed',
  'anthropic-ratelimit-unified-7d-reset': '1796688000',
  'anthropic-ratelimit-unified-7d-utilization': '0.02',
  'anthropic-ratelimit-unified-overage-status': 'rejected',
  'anthropic-ratelimit-unified-overage-disabled-reason': 'org_level_disabled',
}

/** An API-key response's headers: the four standard families, resets in RFC 3339. */
const API_KEY_HEADERS = {
  'request-id': 'req_011CXYZ',
  'anthropic-ratelimit-requests-limit': '50',
  'anthropic-ratelimit-requests-remaining': '49',
  'anthropic-ratelimit-requests-reset': '2026-12-03T12:00:01Z',
  'anthropic-ratelimit-tokens-limit': '50000',
  'anthropic-ratelimit-tokens-remaining': '0',
  'anthropic-ratelimit-tokens-reset': '2026-12-03T12:00:05.250Z',
  'anthropic-ratelimit-input-tokens-limit': '40000',
  'anthropic-ratelimit-input-tokens-remaining': '39000',
  'anthropic-ratelimit-input-tokens-reset': '2026-12-03T13:00:00+01:00',
  'anthropic-ratelimit-output-tokens-limit': '10000',
  'anthropic-ratelimit-output-tokens-remaining': '10000',
  'anthropic-ratelimit-output-tokens-reset': '2026-12-03T12:00:00Z',
}

describe('parseRateLimitHeaders', () => {
  it('reads a subscription response, keeping a 0 utilization as 0', () => {
    const parsed = parseRateLimitHeaders(SUBSCRIPTION_HEADERS, RECEIVED_AT)!

    expect(parsed).toMatchObject({
      unifiedStatus: 'allowed',
      unifiedReset: new Date(1796313600 * 1000),
      unifiedRepresentativeClaim: 'five_hour',
      unifiedFallbackPercentage: 0.5,
      unified5hStatus: 'allowed',
      unified5hReset: new Date(1796313600 * 1000),
      unified5hUtilization: 0,
      unified7dStatus: 'allowed',
      unified7dReset: new Date(1796688000 * 1000),
      unified7dUtilization: 0.02,
      unifiedOverageStatus: 'rejected',
      unifiedOverageDisabledReason: 'org_level_disabled',
      unifiedOverageReason: null,
      unifiedFallback: null,
      requestsLimit: null,
      tokensRemaining: null,
      retryAfterSeconds: null,
    })
  })

  it('keeps every rate-limit header verbatim and no other header', () => {
    const parsed = parseRateLimitHeaders(SUBSCRIPTION_HEADERS, RECEIVED_AT)!

    const { 'content-type': _type, 'anthropic-organization-id': _org, ...rateLimitOnly } = SUBSCRIPTION_HEADERS
    expect(parsed.headers).toEqual(rateLimitOnly)
  })

  it('reads the standard families of an API-key response, with 0 remaining kept as 0', () => {
    const parsed = parseRateLimitHeaders(API_KEY_HEADERS, RECEIVED_AT)!

    expect(parsed).toMatchObject({
      requestsLimit: 50,
      requestsRemaining: 49,
      requestsReset: new Date('2026-12-03T12:00:01.000Z'),
      tokensLimit: 50000,
      tokensRemaining: 0,
      tokensReset: new Date('2026-12-03T12:00:05.250Z'),
      inputTokensLimit: 40000,
      inputTokensRemaining: 39000,
      inputTokensReset: new Date('2026-12-03T12:00:00.000Z'),
      outputTokensLimit: 10000,
      outputTokensRemaining: 10000,
      outputTokensReset: new Date('2026-12-03T12:00:00.000Z'),
      unifiedStatus: null,
      unified5hUtilization: null,
    })
  })

  it('returns null for a response without any rate-limit header', () => {
    expect(parseRateLimitHeaders({ 'content-type': 'application/json', 'request-id': 'req_1' }, RECEIVED_AT)).toBeNull()
  })

  it('reads retry-after in seconds, as an HTTP date, and prefers retry-after-ms', () => {
    expect(parseRateLimitHeaders({ 'retry-after': '7' }, RECEIVED_AT)!.retryAfterSeconds).toBe(7)
    expect(parseRateLimitHeaders({ 'retry-after': '0' }, RECEIVED_AT)!.retryAfterSeconds).toBe(0)
    expect(parseRateLimitHeaders({ 'retry-after': 'Thu, 03 Dec 2026 12:00:30 GMT' }, RECEIVED_AT)!.retryAfterSeconds).toBe(30)
    expect(parseRateLimitHeaders({ 'retry-after': '7', 'retry-after-ms': '1500' }, RECEIVED_AT)!.retryAfterSeconds).toBe(1.5)
  })

  it('turns every malformed value into null, never NaN or 0', () => {
    const parsed = parseRateLimitHeaders(
      {
        'anthropic-ratelimit-requests-limit': 'fifty',
        'anthropic-ratelimit-requests-remaining': '-1',
        'anthropic-ratelimit-requests-reset': '2026-13-45T99:00:00Z',
        'anthropic-ratelimit-tokens-limit': '1.5',
        'anthropic-ratelimit-tokens-remaining': '99999999999999999999',
        'anthropic-ratelimit-tokens-reset': 'tomorrow',
        'anthropic-ratelimit-unified-5h-utilization': 'NaN',
        'anthropic-ratelimit-unified-7d-utilization': '',
        'anthropic-ratelimit-unified-fallback-percentage': 'Infinity',
        'anthropic-ratelimit-unified-overage-utilization': '-0.2',
        'anthropic-ratelimit-unified-5h-reset': '0x10',
        'anthropic-ratelimit-unified-status': 'allowed; drop table',
        'retry-after': 'soon',
      },
      RECEIVED_AT,
    )!

    const { headers, ...fields } = parsed
    expect(Object.values(fields).every((value) => value === null)).toBe(true)
    expect(headers['anthropic-ratelimit-requests-limit']).toBe('fifty')
  })

  it('trims values, lower-cases statuses and takes the first of a repeated header', () => {
    const parsed = parseRateLimitHeaders(
      { 'anthropic-ratelimit-unified-status': ' Allowed_Warning ', 'anthropic-ratelimit-requests-limit': ['10', '20'], 'anthropic-ratelimit-unified-5h-utilization': ' 1.02 ' },
      RECEIVED_AT,
    )!

    expect(parsed).toMatchObject({ unifiedStatus: 'allowed_warning', requestsLimit: 10, unified5hUtilization: 1.02 })
  })

  it('reads the rest of the unified family: remaining, fallback, and the overage reason and reset', () => {
    const parsed = parseRateLimitHeaders(
      {
        'anthropic-ratelimit-unified-remaining': '120',
        'anthropic-ratelimit-unified-fallback': 'Available',
        'anthropic-ratelimit-unified-overage-reason': 'out_of_credits',
        'anthropic-ratelimit-unified-overage-utilization': '0.75',
        'anthropic-ratelimit-unified-overage-reset': '2026-12-04T00:00:00Z',
      },
      RECEIVED_AT,
    )!

    expect(parsed).toMatchObject({
      unifiedRemaining: 120,
      unifiedFallback: 'available',
      unifiedOverageReason: 'out_of_credits',
      unifiedOverageUtilization: 0.75,
      unifiedOverageReset: new Date('2026-12-04T00:00:00Z'),
      unifiedStatus: null,
      requestsLimit: null,
      retryAfterSeconds: null,
    })
  })
})
