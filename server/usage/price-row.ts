/**
 * One row of the price book: the prices of one model from `effectiveFrom` on, for requests whose
 * total input (input + cache writes + cache reads) is at least `minInputTokens`. The rows of a
 * model sharing an `effectiveFrom` are one version of its prices, its tiers; the latest version
 * in force when a request started prices it, with its highest tier the request reaches.
 * Amounts are exact decimal strings, in USD per million tokens unless named otherwise.
 */
export interface PriceRow {
  /** `shipped:<model>:<date>:<minInputTokens>` for the shipped book, a uuid for an override. */
  id: string
  /** The model's price key (see modelKeyOf), e.g. claude-sonnet-4-5. */
  model: string
  effectiveFrom: Date
  minInputTokens: number
  inputUsdPerMTok: string
  outputUsdPerMTok: string
  cacheWrite5mUsdPerMTok: string
  cacheWrite1hUsdPerMTok: string
  cacheReadUsdPerMTok: string
  /** Factor on every token price of a Batch API request (service_tier batch). */
  batchMultiplier: string
  /** Factor on every token price by usage.inference_geo, e.g. { us: '1.1' }; an absent region is 1. */
  geoMultipliers: Record<string, string>
  /** Server-side web search, per thousand searches. */
  webSearchUsdPerThousand: string
  source: PriceSource
  /** Where the figures come from, or why they were set. */
  note: string | null
}

export type PriceSource = 'SHIPPED' | 'OVERRIDE'

/** The key of a version's tier: an override with the same key replaces that shipped row. */
export function tierKey(row: Pick<PriceRow, 'model' | 'effectiveFrom' | 'minInputTokens'>): string {
  return `${row.model}|${row.effectiveFrom.toISOString()}|${row.minInputTokens}`
}
