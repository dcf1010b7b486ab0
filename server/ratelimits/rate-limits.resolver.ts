import DataLoader from 'dataloader'
import { Ctx, FieldResolver, Query, Resolver, Root, Subscription } from 'type-graphql'
import type { LiveBus } from '../live/live-bus'
import type { RateLimitSnapshotRecord } from '../records/rate-limit-snapshot'
import type { RequestSource } from '../requests/request-row'
import { Request } from '../requests/request.types'
import type { QuotaAttribution } from './quota-attribution'
import { rateLimitUpdates } from './rate-limit-subscriptions'
import { toRateLimitStatus } from './rate-limit-status'
import { QuotaAttributionReport, QuotaWindow, RateLimitSnapshot, RateLimitStatus, type QuotaWindowSource } from './rate-limit.types'
import type { RateLimitsService } from './rate-limits.service'

/** Most requests an attribution lists. */
const TOP_REQUESTS = 50

/** What the rate-limit resolvers need of the API context. */
export interface RateLimitsContext {
  rateLimits: RateLimitsService
  bus: LiveBus
  /** Fresh per operation: a page of requests reads its snapshots in one query. */
  rateLimitLoader: DataLoader<string, RateLimitSnapshotRecord | null>
}

export function createRateLimitLoader(rateLimits: RateLimitsService): DataLoader<string, RateLimitSnapshotRecord | null> {
  return new DataLoader((ids) => rateLimits.snapshotsOf(ids), { cache: false })
}

@Resolver(() => RateLimitStatus)
export class RateLimitsResolver {
  @Query(() => [RateLimitStatus], { description: 'The latest rate-limit state of every organization and API key seen, newest first.' })
  async rateLimitStatus(@Ctx() ctx: RateLimitsContext): Promise<RateLimitStatus[]> {
    const now = Date.now()
    return (await ctx.rateLimits.latest()).map((snapshot) => toRateLimitStatus(snapshot, now))
  }

  @Subscription(() => RateLimitStatus, {
    description: "An organization and key's new rate-limit state, as soon as a response's headers arrive.",
    subscribe: ({ context }: { context: RateLimitsContext }) => rateLimitUpdates(context.bus),
  })
  rateLimitUpdated(@Root() status: RateLimitStatus): RateLimitStatus {
    return status
  }
}

@Resolver(() => QuotaWindow)
export class QuotaWindowResolver {
  @FieldResolver(() => QuotaAttributionReport, {
    nullable: true,
    description: 'Which models, keys, conversations and requests consumed this window up to the latest snapshot; null when the window start is unknown.',
  })
  async attribution(@Root() window: QuotaWindowSource, @Ctx() ctx: RateLimitsContext): Promise<QuotaAttributionReport | null> {
    const attribution = await ctx.rateLimits.attribution(window)
    return attribution === null ? null : toReport(attribution, window)
  }
}

@Resolver(() => Request)
export class RequestRateLimitResolver {
  @FieldResolver(() => RateLimitSnapshot, { nullable: true, description: "What the response's rate-limit headers said; null when it carried none." })
  async rateLimit(@Root() request: RequestSource, @Ctx() ctx: RateLimitsContext): Promise<RateLimitSnapshotRecord | null> {
    // A live record carries its snapshot; a row read back has it in its own table.
    return request.rateLimit !== undefined ? request.rateLimit : ctx.rateLimitLoader.load(request.id)
  }
}

function toReport(attribution: QuotaAttribution, window: QuotaWindowSource): QuotaAttributionReport {
  const { requests, projection, ...rest } = attribution
  return {
    ...rest,
    topRequests: requests.slice(0, TOP_REQUESTS),
    requestCount: requests.length,
    projection: projection === null ? null : { ...projection, reachesLimitBeforeReset: window.resetsAt === null || projection.projectedLimitAt < window.resetsAt },
  }
}
