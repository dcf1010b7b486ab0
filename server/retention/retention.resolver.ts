import { Arg, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql'
import { MAX_RETENTION_DAYS, MIN_RETENTION_DAYS } from './retention-period'
import type { RetentionService } from './retention.service'
import { PruneResult, Retention } from './retention.types'

/** What the retention resolver needs of the API context. */
export interface RetentionContext {
  retention: RetentionService
}

@Resolver()
export class RetentionResolver {
  @Query(() => Retention, { description: 'How long records are kept (RETENTION_DAYS), and how pruning has gone since this process started.' })
  retention(@Ctx() ctx: RetentionContext): Retention {
    return ctx.retention.status()
  }

  @Mutation(() => PruneResult, {
    description:
      'Deletes now, in small batches beside capture, the requests that started more than olderThanDays days ago with their stream chunks, and the stored body parts no kept request uses. One prune runs at a time: a call for the period of the prune in progress gets its result, a call for another period runs after it.',
  })
  pruneRecords(
    @Ctx() ctx: RetentionContext,
    @Arg('olderThanDays', () => Int, { nullable: true, description: `Days to keep, from ${MIN_RETENTION_DAYS} to ${MAX_RETENTION_DAYS}. Default: the server's RETENTION_DAYS; required when it is unset.` }) olderThanDays?: number | null,
  ): Promise<PruneResult> {
    return ctx.retention.prune(olderThanDays)
  }
}
