import type { CostStatus, RequestRecord, UsageRecord } from '../records/request-record'
import { formatScaled, toScaled } from './decimal'
import type { PriceBook } from './price-book'
import type { PriceRow } from './price-row'

/** What pricing reads of a record (or of a stored row). */
export type CostInput = Pick<RequestRecord, 'path' | 'model' | 'routedModel' | 'startedAt' | 'usage'>

export interface RecordCost {
  /** Exact USD as a decimal string; null unless PRICED. */
  costUsd: string | null
  priceId: string | null
  costStatus: CostStatus
}

/** Prices per million tokens keep 9 decimals: tokens x price is then USD in units of 10^-15. */
export const PRICE_SCALE = 9
/** Multipliers (batch, region) keep 4 decimals each. */
export const FACTOR_SCALE = 4
/** USD units of a token cost with both factors applied: 10^-(15 + 4 + 4). */
export const COST_SCALE = 15 + 2 * FACTOR_SCALE
/** A web-search price per thousand times a count is USD in units of 10^-12. */
const SEARCH_TO_COST = 10n ** BigInt(COST_SCALE - 12)

/** count_tokens is free: its calls are recorded, never priced. */
const FREE_PATH = /\/count_tokens$/

/**
 * The cost of one finished exchange, exactly, from the book's row for its model (the routed one
 * when routing changed it), start time and total input. Every token count the response reported
 * is priced at its own rate: input, 5-minute and 1-hour cache writes (a write without the split is
 * a 5-minute one, the API's default), cache reads, and output (which includes thinking); then
 * the Batch API factor (service_tier batch) and the region factor (inference_geo), and web
 * searches at their per-search price. A model without a price is UNKNOWN_MODEL with no cost:
 * never $0.
 */
export function costOf(input: CostInput, book: PriceBook): RecordCost {
  if (FREE_PATH.test(input.path)) return { costUsd: null, priceId: null, costStatus: 'NOT_BILLED' }
  const usage = input.usage
  if (usage === null || (usage.inputTokens === null && usage.outputTokens === null)) return { costUsd: null, priceId: null, costStatus: 'NO_USAGE' }
  const model = input.routedModel ?? input.model
  const cacheWrite = usage.cacheCreationInputTokens ?? 0
  const cacheRead = usage.cacheReadInputTokens ?? 0
  const row = model === null ? null : book.lookup(model, input.startedAt, (usage.inputTokens ?? 0) + cacheWrite + cacheRead)
  if (row === null) return { costUsd: null, priceId: null, costStatus: 'UNKNOWN_MODEL' }

  const write1h = usage.cacheCreation1hInputTokens ?? 0
  const write5m = usage.cacheCreation5mInputTokens ?? Math.max(0, cacheWrite - write1h)
  const tokens =
    tokenCost(usage.inputTokens, row.inputUsdPerMTok) +
    tokenCost(write5m, row.cacheWrite5mUsdPerMTok) +
    tokenCost(write1h, row.cacheWrite1hUsdPerMTok) +
    tokenCost(cacheRead, row.cacheReadUsdPerMTok) +
    tokenCost(usage.outputTokens, row.outputUsdPerMTok)
  const searches = BigInt(usage.webSearchRequests ?? 0) * scaledPrice(row.webSearchUsdPerThousand) * SEARCH_TO_COST
  return { costUsd: formatScaled(tokens * factorsOf(row, usage) + searches, COST_SCALE), priceId: row.id, costStatus: 'PRICED' }
}

/**
 * What writing `missed5m` and `missed1h` tokens to the cache cost beyond reading them, exactly,
 * at `row` (the row the request was priced with) and the request's batch and region factors:
 * the price of a prompt-cache miss.
 */
export function cacheMissCostOf(row: PriceRow, missed5m: number, missed1h: number, usage: Pick<UsageRecord, 'serviceTier' | 'inferenceGeo'>): string {
  const extra =
    tokenCost(missed5m, row.cacheWrite5mUsdPerMTok) - tokenCost(missed5m, row.cacheReadUsdPerMTok) + tokenCost(missed1h, row.cacheWrite1hUsdPerMTok) - tokenCost(missed1h, row.cacheReadUsdPerMTok)
  return formatScaled(extra * factorsOf(row, usage), COST_SCALE)
}

/** The Batch API factor (service_tier batch) times the region factor (inference_geo), in units of 10^-(2 × FACTOR_SCALE). */
function factorsOf(row: PriceRow, usage: Pick<UsageRecord, 'serviceTier' | 'inferenceGeo'>): bigint {
  const batch = scaledFactor(usage.serviceTier === 'batch' ? row.batchMultiplier : '1')
  const region = scaledFactor((usage.inferenceGeo !== null && row.geoMultipliers[usage.inferenceGeo]) || '1')
  return batch * region
}

/** `count` tokens at `usdPerMTok`, in USD units of 10^-15. */
function tokenCost(count: number | null, usdPerMTok: string): bigint {
  // Counts are whole numbers from the API; rounding keeps a malformed one from failing the batch.
  return count === null || count === 0 ? 0n : BigInt(Math.round(count)) * scaledPrice(usdPerMTok)
}

/** Most prices and factors kept parsed; past it the cache starts over (prices are a few dozen distinct strings). */
const MAX_PARSED = 4096
const parsedPrices = new Map<string, bigint>()
const parsedFactors = new Map<string, bigint>()

/**
 * A price or factor in units of its scale, parsed once per distinct string: every finished record
 * is priced, and parsing its half-dozen prices again each time was most of what pricing cost.
 */
function parsedOnce(cache: Map<string, bigint>, text: string, scale: number): bigint {
  let value = cache.get(text)
  if (value === undefined) {
    value = toScaled(text, scale)
    if (cache.size >= MAX_PARSED) cache.clear()
    cache.set(text, value)
  }
  return value
}

const scaledPrice = (usdPerMTok: string) => parsedOnce(parsedPrices, usdPerMTok, PRICE_SCALE)
const scaledFactor = (factor: string) => parsedOnce(parsedFactors, factor, FACTOR_SCALE)
