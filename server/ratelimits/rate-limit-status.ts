import type { RateLimitSnapshotRecord } from '../records/rate-limit-snapshot'
import type { QuotaWindowSource, RateLimitBucket, RateLimitStatus } from './rate-limit.types'

const HOUR_MS = 60 * 60 * 1000

/** Length of each unified window, from which its start is read off its reset. */
export const WINDOW_LENGTH_MS = { '5h': 5 * HOUR_MS, '7d': 7 * 24 * HOUR_MS } as const

/** Seconds from `nowMs` until `at`: 0 once past, null when unknown. */
function secondsUntil(at: Date | null, nowMs: number): number | null {
  return at === null ? null : Math.max(0, (at.getTime() - nowMs) / 1000)
}

function bucket(limit: number | null, remaining: number | null, resetsAt: Date | null, nowMs: number): RateLimitBucket | null {
  if (limit === null && remaining === null && resetsAt === null) return null
  return { limit, remaining, resetsAt, resetsInSeconds: secondsUntil(resetsAt, nowMs) }
}

function window(name: '5h' | '7d', latest: RateLimitSnapshotRecord, nowMs: number): QuotaWindowSource | null {
  const [utilization, resetsAt, status] =
    name === '5h' ? [latest.unified5hUtilization, latest.unified5hReset, latest.unified5hStatus] : [latest.unified7dUtilization, latest.unified7dReset, latest.unified7dStatus]
  if (utilization === null && resetsAt === null && status === null) return null
  return {
    name,
    utilization,
    status,
    resetsAt,
    resetsInSeconds: secondsUntil(resetsAt, nowMs),
    startedAt: resetsAt === null ? null : new Date(resetsAt.getTime() - WINDOW_LENGTH_MS[name]),
    latest,
  }
}

/**
 * The status a series' latest snapshot gives, times to reset counted from `nowMs`. A family the
 * response did not report (no header of it) is null.
 */
export function toRateLimitStatus(latest: RateLimitSnapshotRecord, nowMs: number = Date.now()): RateLimitStatus {
  const s = latest
  return {
    organizationId: s.organizationId,
    apiKeyFingerprint: s.apiKeyFingerprint,
    observedAt: s.observedAt,
    status: s.unifiedStatus,
    representativeClaim: s.unifiedRepresentativeClaim,
    resetsAt: s.unifiedReset,
    resetsInSeconds: secondsUntil(s.unifiedReset, nowMs),
    fiveHour: window('5h', s, nowMs),
    sevenDay: window('7d', s, nowMs),
    requests: bucket(s.requestsLimit, s.requestsRemaining, s.requestsReset, nowMs),
    tokens: bucket(s.tokensLimit, s.tokensRemaining, s.tokensReset, nowMs),
    inputTokens: bucket(s.inputTokensLimit, s.inputTokensRemaining, s.inputTokensReset, nowMs),
    outputTokens: bucket(s.outputTokensLimit, s.outputTokensRemaining, s.outputTokensReset, nowMs),
    snapshot: s,
  }
}
