import type { CacheWritePrice, UsageBucket, UsageReport } from '../graphql/usage-documents'

/** The ranges the usage page offers, each with the bucket its charts use. */
export const USAGE_RANGES = {
  '24h': { label: 'Last 24 hours', unit: 'HOUR' },
  '7d': { label: 'Last 7 days', unit: 'DAY' },
  '30d': { label: 'Last 30 days', unit: 'DAY' },
} as const

export type UsageRangeKey = keyof typeof USAGE_RANGES
export type UsageUnit = (typeof USAGE_RANGES)[UsageRangeKey]['unit']

/**
 * The instants a range covers, on whole local hours or days of the viewer (the browser's zone is
 * the one sent as `timezone`), ending with the current hour or day complete so its bar is not cut.
 */
export function usageRange(key: UsageRangeKey, now: Date): { from: string; to: string } {
  if (key === '24h') {
    const end = new Date(now.getFullYear(), now.getMonth(), now.getDate(), now.getHours() + 1)
    return { from: new Date(end.getTime() - 24 * 3_600_000).toISOString(), to: end.toISOString() }
  }
  const days = key === '7d' ? 7 : 30
  const end = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1)
  const start = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1 - days)
  return { from: start.toISOString(), to: end.toISOString() }
}

/** Usage charted by time bucket (rows) and model (series). */
export interface UsageSeries {
  /** Bucket starts in the viewer's wall-clock time, e.g. 2026-12-03T00:00:00, oldest first. */
  buckets: string[]
  models: string[]
  /** Every token read or written by the model (input, cache writes, cache reads, output), [model][bucket]. */
  tokens: number[][]
  /** USD of priced requests, [model][bucket]. */
  cost: number[][]
  /** Cache reads as a share of all input read, per bucket (null when there was no input). */
  cacheReadShare: (number | null)[]
  /** USD the cache writes cost at the prices in force, per bucket. */
  cacheWriteCost: number[]
}

export const totalTokens = (usage: Pick<UsageBucket, 'totalInputTokens' | 'outputTokens'>): number => usage.totalInputTokens + usage.outputTokens

/**
 * Every local hour or day start of a range as wall-clock text (the form of UsageBucket.localStart),
 * so hours and days without traffic are drawn as 0 rather than left out of the axis.
 */
export function bucketStarts(range: { from: string; to: string }, unit: UsageUnit): string[] {
  const starts: string[] = []
  const end = Date.parse(range.to)
  for (let at = new Date(range.from); at.getTime() < end; unit === 'HOUR' ? at.setTime(at.getTime() + 3_600_000) : at.setDate(at.getDate() + 1)) {
    const two = (n: number) => String(n).padStart(2, '0')
    starts.push(`${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())}T${unit === 'HOUR' ? two(at.getHours()) : '00'}:00:00`)
  }
  return starts
}

/** Arranges a report grouped by (HOUR or DAY) and MODEL for the charts, over `starts` and any bucket the report adds. */
export function usageSeries(report: UsageReport, prices: readonly CacheWritePrice[], starts: readonly string[] = []): UsageSeries {
  const buckets = [...new Set([...starts, ...report.buckets.flatMap((bucket) => (bucket.localStart ? [bucket.localStart] : []))])].sort()
  const models = [...new Set(report.buckets.map(modelName))].sort()
  const at = new Map(buckets.map((start, index) => [start, index]))
  const grid = () => models.map(() => buckets.map(() => 0))
  const tokens = grid()
  const cost = grid()
  const cacheRead = buckets.map(() => 0)
  const input = buckets.map(() => 0)
  const cacheWriteCost = buckets.map(() => 0)
  for (const bucket of report.buckets) {
    const column = bucket.localStart === null ? undefined : at.get(bucket.localStart)
    if (column === undefined) continue
    const row = models.indexOf(modelName(bucket))
    tokens[row]![column]! += totalTokens(bucket)
    cost[row]![column]! += bucket.costUsd
    cacheRead[column]! += bucket.cacheReadInputTokens
    input[column]! += bucket.totalInputTokens
    cacheWriteCost[column]! += cacheWriteUsd(bucket, priceFor(bucket.model ?? '', prices))
  }
  return { buckets, models, tokens, cost, cacheReadShare: input.map((total, i) => (total === 0 ? null : cacheRead[i]! / total)), cacheWriteCost }
}

function modelName(bucket: UsageBucket): string {
  return bucket.model || '(no model)'
}

/** Cache writes priced per duration; writes the report cannot split are priced as 5-minute ones. */
export function cacheWriteUsd(usage: Pick<UsageBucket, 'cacheCreationInputTokens' | 'cacheCreation5mInputTokens' | 'cacheCreation1hInputTokens'>, price: CacheWritePrice | null): number {
  if (!price) return 0
  const unsplit = usage.cacheCreationInputTokens - usage.cacheCreation5mInputTokens - usage.cacheCreation1hInputTokens
  const fiveMinute = usage.cacheCreation5mInputTokens + Math.max(0, unsplit)
  return (fiveMinute * Number(price.cacheWrite5mUsdPerMTok) + usage.cacheCreation1hInputTokens * Number(price.cacheWrite1hUsdPerMTok)) / 1_000_000
}

/**
 * The base-tier price of a model in force now: the price book keys models without their snapshot
 * date or provider prefix, so the longest key the model id contains is its price.
 */
export function priceFor(model: string, prices: readonly CacheWritePrice[]): CacheWritePrice | null {
  let best: CacheWritePrice | null = null
  for (const price of prices) {
    if (price.minInputTokens !== 0 || !model.includes(price.model) || Date.parse(price.effectiveFrom) > Date.now()) continue
    if (!best || price.model.length > best.model.length || (price.model === best.model && price.effectiveFrom > best.effectiveFrom)) best = price
  }
  return best
}

const hourLabel = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', timeZone: 'UTC' })
const dayLabel = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' })

/** A wall-clock bucket start (already in the viewer's zone) as an axis label: `14:00` or `Dec 3`. */
export function bucketLabel(localStart: string, unit: UsageUnit): string {
  const [date = '', time = '00:00:00'] = localStart.split('T')
  const [year, month, day] = date.split('-').map(Number)
  const [hour, minute] = time.split(':').map(Number)
  const asUtc = new Date(Date.UTC(year ?? 1970, (month ?? 1) - 1, day ?? 1, hour ?? 0, minute ?? 0))
  return (unit === 'HOUR' ? hourLabel : dayLabel).format(asUtc)
}
