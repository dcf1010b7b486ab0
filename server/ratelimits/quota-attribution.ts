import type { UsageRecord } from '../records/request-record'

/**
 * Which requests consumed a quota window (5 hours or 7 days), from the window's utilization as
 * successive responses reported it. Pure: the service reads the points and requests, this
 * divides.
 *
 * Each increase of utilization between two consecutive points is given to the requests that
 * completed between them: a response reports the quota as it stood when its headers left, so
 * the tokens of a request count in the first point observed after it ended. The window's first
 * point is measured from its start at 0. An increase with no request (or none with usage) in its
 * interval was spent elsewhere (another machine on the same account, or traffic not through this
 * proxy): it is reported as unattributed, never spread over unrelated requests. A decrease (the
 * figures are rounded) counts as no increase.
 *
 * Within an interval, requests share the increase in proportion to their weight (`usageWeight`):
 * input-equivalent tokens, the price ratios every Claude model shares (output 5×, cache write
 * 1.25× for 5 minutes and 2× for 1 hour, cache read 0.1× of input), so a request's share follows
 * what it cost relative to its neighbours of the same model.
 */

/** One observation of the window's utilization (a 0–1 fraction). */
export interface UtilizationPoint {
  observedAt: Date
  utilization: number
  /** The request whose response reported it: that request's own use shows only in a later point. */
  requestId?: string
}

/** A request that may have consumed the window, as the attribution reads it. */
export interface ConsumingRequest {
  id: string
  completedAt: Date
  model: string | null
  apiKeyFingerprint: string | null
  /** The conversation it was grouped into; null for a request outside any (or not grouped yet). */
  conversationId: string | null
  usage: UsageRecord | null
}

/** A request's part of the window. */
export interface RequestShare {
  requestId: string
  model: string | null
  apiKeyFingerprint: string | null
  conversationId: string | null
  /** Input-equivalent tokens (see `usageWeight`). */
  weight: number
  /** Utilization (fraction of the window) given to it. */
  utilization: number
}

/** The part of the window that one value of a grouping (one model, key or conversation) consumed. */
export interface GroupShare {
  /** The model, key or conversation id (null: requests without one). */
  key: string | null
  utilization: number
  /** Share of the attributed utilization, 0 to 1. */
  fraction: number
  requests: number
  weight: number
}

/** How requests are grouped in an attribution. */
export const QUOTA_GROUPINGS = {
  byModel: (request: ConsumingRequest) => request.model,
  byApiKey: (request: ConsumingRequest) => request.apiKeyFingerprint,
  byConversation: (request: ConsumingRequest) => request.conversationId,
} as const satisfies Record<string, (request: ConsumingRequest) => string | null>

export type QuotaGrouping = keyof typeof QUOTA_GROUPINGS

/** Where the window is heading at the recent burn rate. */
export interface BurnProjection {
  /** Utilization gained per hour, measured from `sinceAt` to the latest point. */
  ratePerHour: number
  sinceAt: Date
  /** Seconds from the latest point until utilization reaches 1 at that rate. */
  secondsToLimit: number
  projectedLimitAt: Date
}

export interface QuotaAttribution extends Record<QuotaGrouping, GroupShare[]> {
  windowStartedAt: Date
  /** Utilization at the latest point, which the increases add up to. */
  utilization: number
  attributedUtilization: number
  /** Increases with no request of this scope to give them to. */
  unattributedUtilization: number
  /** Every request that received a share, largest first. */
  requests: RequestShare[]
  /** Requests completed after the latest point: their use is not reported yet. */
  pendingRequests: number
  /** Null while utilization is not rising (or there is a single point). */
  projection: BurnProjection | null
}

/** How far back the burn rate looks: long enough to smooth rounded figures, short enough to be "current". */
export const BURN_RATE_LOOKBACK_MS = 60 * 60 * 1000

/** Input-equivalent tokens of a request's usage; 0 without usage. */
export function usageWeight(usage: UsageRecord | null): number {
  if (usage === null) return 0
  const cache5m = usage.cacheCreation5mInputTokens ?? 0
  const cache1h = usage.cacheCreation1hInputTokens ?? 0
  // Cache writes not split by TTL are priced as 5-minute writes, the API's default.
  const cacheUnsplit = Math.max(0, (usage.cacheCreationInputTokens ?? 0) - cache5m - cache1h)
  return (usage.inputTokens ?? 0) + 1.25 * (cache5m + cacheUnsplit) + 2 * cache1h + 0.1 * (usage.cacheReadInputTokens ?? 0) + 5 * (usage.outputTokens ?? 0)
}

/**
 * Divides the window that started at `windowStartedAt` among `requests`, from `points` (any order).
 * Points before the window start are ignored; with no point left, nothing is attributed.
 */
export function attributeQuota(windowStartedAt: Date, points: readonly UtilizationPoint[], requests: readonly ConsumingRequest[]): QuotaAttribution {
  const start: UtilizationPoint = { observedAt: windowStartedAt, utilization: 0 }
  const series = [start, ...points.filter((p) => p.observedAt >= windowStartedAt).sort((a, b) => a.observedAt.getTime() - b.observedAt.getTime())]
  const intervals = series.map((): ConsumingRequest[] => [])
  const ownPoint = new Map<string, number>()
  series.forEach((point, index) => point.requestId !== undefined && ownPoint.set(point.requestId, index))
  let pending = 0
  for (const request of requests) {
    const index = Math.max(firstPointAfter(series, request.completedAt), (ownPoint.get(request.id) ?? 0) + 1)
    if (index < series.length) intervals[index]!.push(request)
    else pending++
  }
  const shares = new Map<string, RequestShare>()
  let unattributed = 0
  for (let i = 1; i < series.length; i++) {
    const increase = Math.max(0, series[i]!.utilization - series[i - 1]!.utilization)
    if (increase === 0) continue
    const between = intervals[i]!
    const total = between.reduce((sum, request) => sum + usageWeight(request.usage), 0)
    if (total === 0) {
      unattributed += increase
      continue
    }
    for (const request of between) {
      const weight = usageWeight(request.usage)
      if (weight === 0) continue
      const share = shares.get(request.id) ?? { requestId: request.id, model: request.model, apiKeyFingerprint: request.apiKeyFingerprint, conversationId: request.conversationId, weight, utilization: 0 }
      share.utilization += (increase * weight) / total
      shares.set(request.id, share)
    }
  }
  const latest = series.at(-1)!
  const shareList = [...shares.values()].sort((a, b) => b.utilization - a.utilization)
  const attributed = shareList.reduce((sum, share) => sum + share.utilization, 0)
  const byRequest = new Map(requests.map((request) => [request.id, request]))
  const groups = Object.fromEntries(
    Object.entries(QUOTA_GROUPINGS).map(([name, keyOf]) => [name, groupShares(shareList, (share) => keyOf(byRequest.get(share.requestId)!), attributed)]),
  ) as Record<QuotaGrouping, GroupShare[]>
  return {
    windowStartedAt,
    utilization: latest.utilization,
    attributedUtilization: attributed,
    unattributedUtilization: unattributed,
    requests: shareList,
    pendingRequests: pending,
    projection: series.length > 1 ? projectBurn(series) : null,
    ...groups,
  }
}

/**
 * The index of the first point (past the window start) observed at or after `instant`; `series.length`
 * when none is. A request counts in that point, or in a later one when that is the point its own
 * response reported (both can fall in the same millisecond).
 */
function firstPointAfter(series: readonly UtilizationPoint[], instant: Date): number {
  const completedAt = instant.getTime()
  let low = 1
  let high = series.length
  while (low < high) {
    const mid = (low + high) >>> 1
    if (series[mid]!.observedAt.getTime() >= completedAt) high = mid
    else low = mid + 1
  }
  return low
}

function groupShares(shares: readonly RequestShare[], keyOf: (share: RequestShare) => string | null, attributed: number): GroupShare[] {
  const groups = new Map<string | null, GroupShare>()
  for (const share of shares) {
    const key = keyOf(share)
    const group = groups.get(key) ?? { key, utilization: 0, fraction: 0, requests: 0, weight: 0 }
    group.utilization += share.utilization
    group.requests++
    group.weight += share.weight
    groups.set(key, group)
  }
  for (const group of groups.values()) group.fraction = attributed > 0 ? group.utilization / attributed : 0
  return [...groups.values()].sort((a, b) => b.utilization - a.utilization)
}

/**
 * The rate from the last point at least BURN_RATE_LOOKBACK_MS before the latest (else the
 * window's start) to the latest, and when utilization reaches 1 at it.
 */
function projectBurn(series: readonly UtilizationPoint[]): BurnProjection | null {
  const latest = series.at(-1)!
  const horizon = latest.observedAt.getTime() - BURN_RATE_LOOKBACK_MS
  const since = series.findLast((point) => point.observedAt.getTime() <= horizon) ?? series[0]!
  const elapsedMs = latest.observedAt.getTime() - since.observedAt.getTime()
  const gained = latest.utilization - since.utilization
  if (elapsedMs <= 0 || gained <= 0) return null
  const perMs = gained / elapsedMs
  const secondsToLimit = Math.max(0, (1 - latest.utilization) / perMs / 1000)
  return {
    ratePerHour: perMs * 3_600_000,
    sinceAt: since.observedAt,
    secondsToLimit,
    projectedLimitAt: new Date(latest.observedAt.getTime() + secondsToLimit * 1000),
  }
}
