import type { DataSource } from 'typeorm'
import { UserInputError } from '../graphql/errors'
import type { RollupCounter, RollupDimension } from '../store/tables/usage-rollups.table'
import { COST_SCALE } from './cost'
import { formatScaled, toScaled } from './decimal'
import { usageStatement, type TimeUnit } from './usage-query'

export type UsageGroupValue = 'HOUR' | 'DAY' | 'WEEK' | 'MODEL' | 'API_KEY'

/** Sums over a set of finished requests. */
export interface UsageSums {
  requests: number
  inputTokens: number
  outputTokens: number
  cacheCreationInputTokens: number
  cacheCreation5mInputTokens: number
  cacheCreation1hInputTokens: number
  cacheReadInputTokens: number
  thinkingTokens: number
  webSearchRequests: number
  webFetchRequests: number
  /** input + cache writes + cache reads. */
  totalInputTokens: number
  /** Exact decimal string; requests without a price add nothing (see unpricedRequests). */
  costUsdExact: string
  costUsd: number
  unpricedRequests: number
}

export interface UsageBucketValues extends UsageSums {
  /** Null when no time unit is grouped by. */
  start: Date | null
  end: Date | null
  /** The bucket's start in the zone's wall-clock time, e.g. 2026-03-08T00:00:00. */
  localStart: string | null
  model: string | null
  apiKeyFingerprint: string | null
}

export interface UsageReportValues {
  from: Date
  to: Date
  timezone: string
  groupBy: UsageGroupValue[]
  totals: UsageSums
  buckets: UsageBucketValues[]
  /** Models with requests in the range that have no price: their cost is missing from costUsd. */
  unpricedModels: string[]
  warnings: string[]
}

const UNITS: Partial<Record<UsageGroupValue, TimeUnit>> = { HOUR: 'hour', DAY: 'day', WEEK: 'week' }
const DIMENSIONS: Partial<Record<UsageGroupValue, RollupDimension>> = { MODEL: 'model', API_KEY: 'api_key_fingerprint' }
/** A report has at most this many time buckets (a year of hours, 27 years of days). */
const MAX_TIME_BUCKETS = 10_000
const UNIT_MS: Record<TimeUnit, number> = { hour: 3_600_000, day: 86_400_000, week: 604_800_000 }

type SumRow = Record<RollupCounter, string> & { bucket_start: Date | null; bucket_end: Date | null; local_start: string | null; model: string; api_key_fingerprint: string }

/**
 * Usage and cost over a time range, from the rollup tables (see usageStatement): totals and
 * buckets by local hour, day or week of an IANA zone, by model and by API-key fingerprint.
 * Only finished requests count; the totals are the sums of the buckets, exactly.
 */
export class UsageService {
  constructor(private readonly dataSource: DataSource) {}

  async report(from: Date, to: Date, groupBy: readonly UsageGroupValue[], timezone: string): Promise<UsageReportValues> {
    validateRange(from, to)
    validateTimezone(timezone)
    const units = groupBy.flatMap((group) => UNITS[group] ?? [])
    if (units.length > 1) throw new UserInputError('INVALID_GROUP_BY', `\`groupBy\` takes at most one of HOUR, DAY and WEEK, got ${units.length}.`, 'groupBy')
    const unit = units[0] ?? null
    if (unit !== null && (to.getTime() - from.getTime()) / UNIT_MS[unit] > MAX_TIME_BUCKETS) {
      throw new UserInputError('INVALID_TIME_RANGE', `\`range\` spans more than ${MAX_TIME_BUCKETS} ${unit}s; group by a longer unit or ask for less.`, 'range')
    }
    const dimensions = [...new Set(groupBy.flatMap((group) => DIMENSIONS[group] ?? []))]
    const rows = await this.#query({ from, to, unit, dimensions, timezone })
    const buckets = rows.map((row) => ({
      ...sumsOf([row]),
      start: row.bucket_start,
      end: row.bucket_end,
      localStart: row.local_start,
      model: dimensions.includes('model') ? row.model : null,
      apiKeyFingerprint: dimensions.includes('api_key_fingerprint') ? row.api_key_fingerprint || null : null,
    }))
    // Unpriced requests by model: from the rows when they are by model, else from the model grain.
    const byModel = dimensions.includes('model') ? rows : await this.#query({ from, to, unit: null, dimensions: ['model'], timezone })
    const unpricedByModel = new Map<string, bigint>()
    for (const row of byModel) if (row.unpriced_requests !== '0') unpricedByModel.set(row.model, (unpricedByModel.get(row.model) ?? 0n) + BigInt(row.unpriced_requests))
    const unpriced = [...unpricedByModel].sort(([a], [b]) => a.localeCompare(b))
    return {
      from,
      to,
      timezone,
      groupBy: [...groupBy],
      totals: sumsOf(rows),
      buckets,
      unpricedModels: unpriced.map(([model]) => model),
      warnings: unpriced.map(([model, count]) => `${count} requests of ${model || 'no model'} have no price, so costUsd leaves them out: set one with setPrice`),
    }
  }

  async #query(query: Parameters<typeof usageStatement>[0]): Promise<SumRow[]> {
    const { text, values } = usageStatement(query)
    try {
      return (await this.dataSource.query(text, values)) as SumRow[]
    } catch (err) {
      // PostgreSQL's own zone list decides in the end (22023: time zone not recognized).
      if ((err as { code?: string }).code === '22023') throw timezoneError(query.timezone)
      throw err
    }
  }
}

/** Exact sums of rows (bigint for tokens, scaled decimals for cost), as numbers for the API. */
function sumsOf(rows: readonly SumRow[]): UsageSums {
  const total = (counter: RollupCounter) => rows.reduce((sum, row) => sum + BigInt(row[counter]), 0n)
  const cost = rows.reduce((sum, row) => sum + toScaled(row.cost_usd, COST_SCALE), 0n)
  const input = total('input_tokens')
  const cacheWrites = total('cache_creation_input_tokens')
  const cacheReads = total('cache_read_input_tokens')
  const costUsdExact = formatScaled(cost, COST_SCALE)
  return {
    requests: Number(total('requests')),
    inputTokens: Number(input),
    outputTokens: Number(total('output_tokens')),
    cacheCreationInputTokens: Number(cacheWrites),
    cacheCreation5mInputTokens: Number(total('cache_creation_5m_input_tokens')),
    cacheCreation1hInputTokens: Number(total('cache_creation_1h_input_tokens')),
    cacheReadInputTokens: Number(cacheReads),
    thinkingTokens: Number(total('thinking_tokens')),
    webSearchRequests: Number(total('web_search_requests')),
    webFetchRequests: Number(total('web_fetch_requests')),
    totalInputTokens: Number(input + cacheWrites + cacheReads),
    costUsdExact,
    costUsd: Number(costUsdExact),
    unpricedRequests: Number(total('unpriced_requests')),
  }
}

/** Instants a range may span: what the database's timestamps hold with room for a week's series. */
const EARLIEST_MS = Date.UTC(1970, 0, 1)
const LATEST_MS = Date.UTC(9999, 0, 1)

function validateRange(from: Date, to: Date): void {
  const inBounds = (date: Date) => date.getTime() >= EARLIEST_MS && date.getTime() <= LATEST_MS
  if (!inBounds(from) || !inBounds(to) || from.getTime() >= to.getTime()) {
    throw new UserInputError('INVALID_TIME_RANGE', `\`range.from\` must be before \`range.to\`, both from 1970 to 9999, got ${String(from)} and ${String(to)}.`, 'range')
  }
}

/**
 * An IANA zone name (Europe/Paris, Asia/Kathmandu, UTC). Offsets such as +05:30 are refused:
 * PostgreSQL reads them as POSIX zones, whose sign is the opposite of ISO 8601's.
 */
function validateTimezone(timezone: string): void {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(timezone)) throw timezoneError(timezone)
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone })
  } catch {
    throw timezoneError(timezone)
  }
}

function timezoneError(timezone: string): UserInputError {
  return new UserInputError('INVALID_TIMEZONE', `\`timezone\` must be an IANA zone name such as Europe/Paris, got ${JSON.stringify(timezone)}.`, 'timezone')
}
