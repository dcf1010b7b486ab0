import { GraphQLSafeInt } from 'graphql-scalars'
import { Field, Float, ID, InputType, ObjectType, registerEnumType } from 'type-graphql'
import type { PriceInputValues } from './price-input'
import type { PriceRow, PriceSource as PriceSourceValue } from './price-row'
import type { UsageBucketValues, UsageGroupValue, UsageReportValues, UsageSums } from './usage.service'

export const UsageGroup = { HOUR: 'HOUR', DAY: 'DAY', WEEK: 'WEEK', MODEL: 'MODEL', API_KEY: 'API_KEY' } as const satisfies Record<UsageGroupValue, UsageGroupValue>
registerEnumType(UsageGroup, { name: 'UsageGroup', description: 'HOUR, DAY or WEEK (at most one, in the report\'s time zone), and any of MODEL and API_KEY.' })

export const PriceSource = { SHIPPED: 'SHIPPED', OVERRIDE: 'OVERRIDE' } as const satisfies Record<PriceSourceValue, PriceSourceValue>
registerEnumType(PriceSource, { name: 'PriceSource', description: 'SHIPPED with Claudescope, or an OVERRIDE set with setPrice.' })

@InputType({ description: 'From (inclusive) to (exclusive), two instants.' })
export class TimeRange {
  @Field(() => Date) from: Date
  @Field(() => Date) to: Date
}

@ObjectType({ description: 'Sums over finished requests (in-flight ones count once done).' })
export class UsageTotals implements Omit<UsageSums, never> {
  @Field(() => GraphQLSafeInt) requests: number
  @Field(() => GraphQLSafeInt) inputTokens: number
  @Field(() => GraphQLSafeInt) outputTokens: number
  @Field(() => GraphQLSafeInt) cacheCreationInputTokens: number
  @Field(() => GraphQLSafeInt) cacheCreation5mInputTokens: number
  @Field(() => GraphQLSafeInt) cacheCreation1hInputTokens: number
  @Field(() => GraphQLSafeInt) cacheReadInputTokens: number
  @Field(() => GraphQLSafeInt) thinkingTokens: number
  @Field(() => GraphQLSafeInt) webSearchRequests: number
  @Field(() => GraphQLSafeInt) webFetchRequests: number
  @Field(() => GraphQLSafeInt, { description: 'Input + cache writes + cache reads: every input token the model read.' }) totalInputTokens: number
  @Field(() => Float, { description: 'USD of the priced requests; requests of a model without a price are not in it (see unpricedRequests).' }) costUsd: number
  @Field(() => String, { description: 'costUsd as an exact decimal.' }) costUsdExact: string
  @Field(() => GraphQLSafeInt, { description: 'Requests of a model the price book has no price for.' }) unpricedRequests: number
}

@ObjectType({ description: 'The sums of one time bucket and group.' })
export class UsageBucket extends UsageTotals implements UsageBucketValues {
  @Field(() => Date, { nullable: true, description: 'Start of the local hour, day or week, an instant; null without a time unit.' }) start: Date | null
  @Field(() => Date, { nullable: true, description: 'End (exclusive): a DST day lasts 23 or 25 hours.' }) end: Date | null
  @Field(() => String, { nullable: true, description: 'Start in the zone\'s wall-clock time, e.g. 2026-03-08T00:00:00.' }) localStart: string | null
  @Field(() => String, { nullable: true, description: 'The model (routed one when routing changed it), when grouped by MODEL; "" for requests without one.' }) model: string | null
  @Field(() => String, { nullable: true, description: 'When grouped by API_KEY; null for requests without a key.' }) apiKeyFingerprint: string | null
}

@ObjectType({ description: 'Usage and cost over a range, from rollups the writer keeps current.' })
export class UsageReport implements UsageReportValues {
  @Field(() => Date) from: Date
  @Field(() => Date) to: Date
  @Field(() => String) timezone: string
  @Field(() => [UsageGroup]) groupBy: UsageGroupValue[]
  @Field(() => UsageTotals, { description: 'Equal to the sum of the buckets.' }) totals: UsageTotals
  @Field(() => [UsageBucket], { description: 'By time bucket, then model, then key.' }) buckets: UsageBucket[]
  @Field(() => [String], { description: 'Models with requests in the range and no price: their cost is missing from costUsd, never counted as 0.' }) unpricedModels: string[]
  @Field(() => [String]) warnings: string[]
}

@ObjectType({ description: 'Region factor of a price row.' })
export class GeoMultiplier {
  @Field(() => String, { description: 'usage.inference_geo, e.g. us.' }) geo: string
  @Field(() => Float) multiplier: number
}

@ObjectType({ description: 'The prices of a model from a date on, for requests with at least minInputTokens of total input. USD per million tokens.' })
export class Price {
  @Field(() => ID, { description: 'Kept on each request it priced (Request.priceId).' }) id: string
  @Field(() => String, { description: 'Price key: the model id without snapshot date or provider prefix.' }) model: string
  @Field(() => Date) effectiveFrom: Date
  @Field(() => GraphQLSafeInt, { description: 'Tier: applies when input + cache writes + cache reads reach this many tokens.' }) minInputTokens: number
  @Field(() => String) inputUsdPerMTok: string
  @Field(() => String) outputUsdPerMTok: string
  @Field(() => String) cacheWrite5mUsdPerMTok: string
  @Field(() => String) cacheWrite1hUsdPerMTok: string
  @Field(() => String) cacheReadUsdPerMTok: string
  @Field(() => String, { description: 'Factor on token prices of Batch API requests.' }) batchMultiplier: string
  @Field(() => [GeoMultiplier]) geoMultipliers: GeoMultiplier[]
  @Field(() => String) webSearchUsdPerThousand: string
  @Field(() => PriceSource) source: PriceSourceValue
  @Field(() => String, { nullable: true, description: 'Source of the figures, or why they were set.' }) note: string | null
}

/** The API's shape of a price row. */
export function toPrice(row: PriceRow): Price {
  return { ...row, geoMultipliers: Object.entries(row.geoMultipliers).map(([geo, multiplier]) => ({ geo, multiplier: Number(multiplier) })) }
}

@InputType()
export class GeoMultiplierInput {
  @Field(() => String) geo: string
  @Field(() => Float) multiplier: number
}

@InputType({ description: 'USD per million tokens. Cache prices left out follow the input price (5-minute writes 1.25x, 1-hour writes 2x, reads 0.1x).' })
export class PriceInput implements PriceInputValues {
  @Field(() => String, { description: 'Any id of the model (dated or not); prices are kept under its price key.' }) model: string
  @Field(() => Date) effectiveFrom: Date
  @Field(() => GraphQLSafeInt, { nullable: true, defaultValue: 0 }) minInputTokens?: number | null
  @Field(() => Float) inputUsdPerMTok: number
  @Field(() => Float) outputUsdPerMTok: number
  @Field(() => Float, { nullable: true }) cacheWrite5mUsdPerMTok?: number | null
  @Field(() => Float, { nullable: true }) cacheWrite1hUsdPerMTok?: number | null
  @Field(() => Float, { nullable: true }) cacheReadUsdPerMTok?: number | null
  @Field(() => Float, { nullable: true, description: 'Default 0.5.' }) batchMultiplier?: number | null
  @Field(() => [GeoMultiplierInput], { nullable: true }) geoMultipliers?: GeoMultiplierInput[] | null
  @Field(() => Float, { nullable: true, description: 'Default 10.' }) webSearchUsdPerThousand?: number | null
  @Field(() => String, { nullable: true }) note?: string | null
}

@ObjectType()
export class SetPriceResult {
  @Field(() => Price) price: Price
  @Field(() => GraphQLSafeInt, { description: 'Finished requests whose cost changed.' }) recostedRequests: number
}
