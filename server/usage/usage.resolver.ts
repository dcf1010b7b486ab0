import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql'
import { GraphQLSafeInt } from 'graphql-scalars'
import { UserInputError } from '../graphql/errors'
import type { OperationClient } from '../graphql/graphql-server'
import type { SettingsAudit } from '../settings/settings-audit'
import type { PricesService } from './prices.service'
import type { UsageGroupValue, UsageReportValues, UsageService } from './usage.service'
import { Price, PriceInput, SetPriceResult, TimeRange, toPrice, UsageGroup, UsageReport } from './usage.types'

/** What the usage resolvers need of the API context. */
export interface UsageContext {
  usage: UsageService
  prices: PricesService
  /** Price changes are settings changes: audited like the others. */
  settingsAudit: SettingsAudit
  client: OperationClient
}

@Resolver()
export class UsageResolver {
  @Query(() => UsageReport, { description: 'Tokens and cost of finished requests over a range, in buckets of local hours, days or weeks of an IANA time zone, by model and API key.' })
  usage(
    @Ctx() ctx: UsageContext,
    @Arg('range', () => TimeRange) range: TimeRange,
    @Arg('groupBy', () => [UsageGroup], { nullable: true }) groupBy?: UsageGroupValue[] | null,
    @Arg('timezone', () => String, { nullable: true, defaultValue: 'UTC' }) timezone?: string | null,
  ): Promise<UsageReportValues> {
    return ctx.usage.report(range.from, range.to, groupBy ?? [], timezone ?? 'UTC')
  }

  @Query(() => [Price], { description: 'The price book in force: shipped prices with overrides over them, by model, date and tier.' })
  async prices(@Ctx() ctx: UsageContext, @Arg('model', () => String, { nullable: true, description: 'Any id of one model.' }) model?: string | null): Promise<Price[]> {
    return (await ctx.prices.list(model)).map(toPrice)
  }

  @Mutation(() => SetPriceResult, { description: 'Sets the prices of a model from a date on (per tier), then re-costs the finished requests of that model started since, in batches beside capture.' })
  async setPrice(@Ctx() ctx: UsageContext, @Arg('price', () => PriceInput) price: PriceInput): Promise<SetPriceResult> {
    const result = await ctx.prices.setPrice(price, (manager, before, after) =>
      ctx.settingsAudit.record(
        manager,
        { section: 'prices', action: 'setPrice', summary: `${after.model} from ${after.effectiveFrom.toISOString().slice(0, 10)}: $${after.inputUsdPerMTok} input, $${after.outputUsdPerMTok} output per million tokens`, before, after },
        ctx.client,
      ),
    )
    return { price: toPrice(result.price), recostedRequests: result.recostedRequests }
  }

  @Mutation(() => SetPriceResult, {
    description: 'Removes one price override (its model, date and tier, as `prices` lists it), so the shipped price applies again, then re-costs the finished requests of that model started since. `price` is the override removed.',
  })
  async clearPrice(
    @Ctx() ctx: UsageContext,
    @Arg('model', () => String, { description: 'The override\'s model, as `prices` lists it.' }) model: string,
    @Arg('effectiveFrom', () => Date) effectiveFrom: Date,
    @Arg('minInputTokens', () => GraphQLSafeInt, { defaultValue: 0 }) minInputTokens: number,
  ): Promise<SetPriceResult> {
    const result = await ctx.prices.clearPrice({ model, effectiveFrom, minInputTokens }, (manager, before) =>
      ctx.settingsAudit.record(manager, { section: 'prices', action: 'clearPrice', summary: `${before.model} from ${before.effectiveFrom.toISOString().slice(0, 10)}: override removed`, before, after: null }, ctx.client),
    )
    if (result === null) throw new UserInputError('PRICE_OVERRIDE_NOT_FOUND', `No price override of ${model} from ${effectiveFrom.toISOString()} at ${minInputTokens} input tokens`, 'model')
    return { price: toPrice(result.price), recostedRequests: result.recostedRequests }
  }
}
