import { describe, expect, it } from 'vitest'
import type { UsageRecord } from '../../server/records/request-record'
import { attributeQuota, usageWeight, type ConsumingRequest } from '../../server/ratelimits/quota-attribution'

const at = (time: string) => new Date(`2026-12-03T${time}:00.000Z`)
const usage = (fields: Partial<UsageRecord>): UsageRecord => ({
  inputTokens: null,
  outputTokens: null,
  cacheCreationInputTokens: null,
  cacheCreation5mInputTokens: null,
  cacheCreation1hInputTokens: null,
  cacheReadInputTokens: null,
  thinkingTokens: null,
  webSearchRequests: null,
  webFetchRequests: null,
  serviceTier: null,
  inferenceGeo: null,
  ...fields,
})
const request = (id: string, completedAt: string, model: string, used: Partial<UsageRecord> | null, apiKeyFingerprint = 'key:aaaa1111', conversationId: string | null = null): ConsumingRequest => ({
  id,
  completedAt: at(completedAt),
  model,
  apiKeyFingerprint,
  conversationId,
  usage: used === null ? null : usage(used),
})

describe('usageWeight', () => {
  it('counts input-equivalent tokens: cache writes 1.25× (5m, and unsplit) and 2× (1h), reads 0.1×, output 5×', () => {
    // 100 + 1.25 × (200 five-minute + 200 unsplit) + 2 × 600 + 0.1 × 1000 + 5 × 10 = 1950
    const weight = usageWeight(usage({ inputTokens: 100, cacheCreationInputTokens: 1000, cacheCreation5mInputTokens: 200, cacheCreation1hInputTokens: 600, cacheReadInputTokens: 1000, outputTokens: 10 }))

    expect(weight).toBe(1950)
  })

  it('is 0 without usage', () => {
    expect(usageWeight(null)).toBe(0)
  })
})

describe('attributeQuota', () => {
  const windowStart = at('10:00')
  /** The window with two points, at 10:30 and 11:00. */
  const withTwoPoints = (first: number, second: number, requests: ConsumingRequest[]) =>
    attributeQuota(
      windowStart,
      [
        { observedAt: at('10:30'), utilization: first },
        { observedAt: at('11:00'), utilization: second },
      ],
      requests,
    )
  const sharesOf = (result: ReturnType<typeof attributeQuota>) => result.requests.map((share) => [share.requestId, share.utilization])
  const points = [
    { observedAt: at('10:30'), utilization: 0.1 },
    { observedAt: at('11:00'), utilization: 0.25 },
    { observedAt: at('11:30'), utilization: 0.25 },
    { observedAt: at('12:00'), utilization: 0.4 },
  ]
  const requests = [
    request('a', '10:10', 'claude-opus-4-5', { inputTokens: 1000 }, 'key:aaaa1111', 'conversation-1'), // weight 1000
    request('b', '10:20', 'claude-sonnet-4-5', { inputTokens: 3000 }, 'key:bbbb2222', 'conversation-2'), // weight 3000
    request('c', '10:45', 'claude-opus-4-5', { outputTokens: 200 }, 'key:aaaa1111', 'conversation-1'), // weight 1000
    request('d', '10:50', 'claude-sonnet-4-5', { cacheReadInputTokens: 10000 }), // weight 1000, in no conversation
    request('e', '11:10', 'claude-haiku-4-5', { inputTokens: 500 }), // in an interval without increase
    request('f', '12:10', 'claude-opus-4-5', { inputTokens: 500 }), // after the latest point: pending
  ]

  it('gives each increase to the requests completed in its interval, by weight, and keeps what had no request unattributed', () => {
    const result = attributeQuota(windowStart, points, requests)

    // (10:00, 10:30]: +0.10 over a (1000) and b (3000); (10:30, 11:00]: +0.15 over c and d (1000 each);
    // (11:00, 11:30]: +0; (11:30, 12:00]: +0.15 with no request.
    const shares = Object.fromEntries(result.requests.map((share) => [share.requestId, share.utilization]))
    expect(Object.keys(shares).sort()).toEqual(['a', 'b', 'c', 'd'])
    expect(shares.a).toBeCloseTo(0.025, 12)
    expect(shares.b).toBeCloseTo(0.075, 12)
    expect(shares.c).toBeCloseTo(0.075, 12)
    expect(shares.d).toBeCloseTo(0.075, 12)
    expect(result.utilization).toBe(0.4)
    expect(result.attributedUtilization).toBeCloseTo(0.25, 12)
    expect(result.unattributedUtilization).toBeCloseTo(0.15, 12)
    expect(result.pendingRequests).toBe(1)
  })

  it('sums shares by model and by key, largest first, with their fraction of what was attributed', () => {
    const result = attributeQuota(windowStart, points, requests)

    // sonnet: b 0.075 + d 0.075 = 0.15 (0.6 of 0.25); opus: a 0.025 + c 0.075 = 0.10 (0.4)
    expect(result.byModel.map((group) => [group.key, group.requests, group.weight])).toEqual([
      ['claude-sonnet-4-5', 2, 4000],
      ['claude-opus-4-5', 2, 2000],
    ])
    expect(result.byModel[0]!.utilization).toBeCloseTo(0.15, 12)
    expect(result.byModel[0]!.fraction).toBeCloseTo(0.6, 12)
    expect(result.byModel[1]!.fraction).toBeCloseTo(0.4, 12)
    // key:aaaa1111: a + c + d = 0.175; key:bbbb2222: b = 0.075
    expect(result.byApiKey.map((group) => group.key)).toEqual(['key:aaaa1111', 'key:bbbb2222'])
    expect(result.byApiKey[0]!.utilization).toBeCloseTo(0.175, 12)
  })

  it('sums shares by conversation, requests outside any under a null key', () => {
    const result = attributeQuota(windowStart, points, requests)

    // conversation-1: a 0.025 + c 0.075 = 0.10 (0.4 of 0.25); conversation-2: b 0.075 (0.3); none: d 0.075 (0.3)
    expect(result.byConversation[0]!.key).toBe('conversation-1')
    const byKey = new Map(result.byConversation.map((group) => [group.key, group]))
    expect([...byKey.keys()].sort()).toEqual(['conversation-1', 'conversation-2', null])
    expect(byKey.get('conversation-1')).toEqual({ key: 'conversation-1', requests: 2, weight: 2000, utilization: expect.closeTo(0.1, 12), fraction: expect.closeTo(0.4, 12) })
    expect(byKey.get('conversation-2')).toEqual({ key: 'conversation-2', requests: 1, weight: 3000, utilization: expect.closeTo(0.075, 12), fraction: expect.closeTo(0.3, 12) })
    expect(byKey.get(null)).toEqual({ key: null, requests: 1, weight: 1000, utilization: expect.closeTo(0.075, 12), fraction: expect.closeTo(0.3, 12) })
    expect(result.requests.find((share) => share.requestId === 'c')!.conversationId).toBe('conversation-1')
  })

  it('projects the limit at the burn rate of the last hour', () => {
    const result = attributeQuota(windowStart, points, requests)

    // From 11:00 (0.25) to 12:00 (0.40): 0.15 per hour; 0.60 left takes 4 hours.
    expect(result.projection!.sinceAt).toEqual(at('11:00'))
    expect(result.projection!.ratePerHour).toBeCloseTo(0.15, 12)
    expect(result.projection!.secondsToLimit).toBeCloseTo(4 * 3600, 6)
    expect(result.projection!.projectedLimitAt.getTime()).toBeCloseTo(at('16:00').getTime(), -1)
  })

  it('measures the first point from the window start at 0, and ignores points from before the window', () => {
    const result = attributeQuota(windowStart, [{ observedAt: at('09:59'), utilization: 0.9 }, { observedAt: at('10:20'), utilization: 0.05 }], [request('a', '10:05', 'claude-opus-4-5', { inputTokens: 10 })])

    expect(result.requests).toEqual([{ requestId: 'a', model: 'claude-opus-4-5', apiKeyFingerprint: 'key:aaaa1111', conversationId: null, weight: 10, utilization: 0.05 }])
    // 0.05 in 20 minutes since the window start: 0.15 per hour.
    expect(result.projection!.ratePerHour).toBeCloseTo(0.15, 12)
    expect(result.projection!.sinceAt).toEqual(windowStart)
  })

  it('gives nothing to requests without usage and leaves an increase unattributed when only they completed', () => {
    const result = withTwoPoints(0.2, 0.3, [request('ok', '10:10', 'claude-opus-4-5', { inputTokens: 100 }), request('failed', '10:20', 'claude-opus-4-5', null), request('failed-too', '10:40', 'claude-opus-4-5', null)])

    expect(sharesOf(result)).toEqual([['ok', 0.2]])
    expect(result.unattributedUtilization).toBeCloseTo(0.1, 12)
  })

  it('gives nothing and projects nothing while utilization stays at 0', () => {
    const result = withTwoPoints(0, 0, [request('a', '10:40', 'claude-opus-4-5', { inputTokens: 100 })])

    expect(result.requests).toEqual([])
    expect(result.attributedUtilization).toBe(0)
    expect(result.unattributedUtilization).toBe(0)
    expect(result.projection).toBeNull()
  })

  it("counts a request in the point after its own response's, even within the same millisecond", () => {
    const result = attributeQuota(
      windowStart,
      [
        { observedAt: at('10:30'), utilization: 0.1, requestId: 'own' },
        { observedAt: at('10:40'), utilization: 0.25, requestId: 'next' },
      ],
      [request('own', '10:30', 'claude-opus-4-5', { inputTokens: 100 })],
    )

    expect(sharesOf(result)).toEqual([['own', 0.15]])
    expect(result.unattributedUtilization).toBeCloseTo(0.1, 12)
  })

  it('treats a falling utilization (rounded figures) as no increase', () => {
    const result = withTwoPoints(0.3, 0.2, [request('a', '10:40', 'claude-opus-4-5', { inputTokens: 100 })])

    // +0.3 by 10:30 with no request before it, then a fall: a gets nothing.
    expect(result.requests).toEqual([])
    expect(result.unattributedUtilization).toBeCloseTo(0.3, 12)
    expect(result.utilization).toBe(0.2)
  })
})
