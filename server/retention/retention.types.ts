import { GraphQLSafeInt } from 'graphql-scalars'
import { Field, Int, ObjectType } from 'type-graphql'
import type { PruneResult as StoredPruneResult } from '../store/retention-store'
import type { RetentionStatus } from './retention.service'

@ObjectType({ description: 'What one prune deleted.' })
export class PruneResult implements StoredPruneResult {
  @Field(() => GraphQLSafeInt, { description: 'Requests deleted, with their stream chunks: those that started before cutoff, whatever their status.' }) requestsDeleted: number
  @Field(() => GraphQLSafeInt, { description: 'Stored body parts (system blocks, tools, messages) deleted: those no kept request uses.' }) contentsDeleted: number
  @Field(() => GraphQLSafeInt, { description: "Claude Code's own events and metric points (received over OTLP) deleted: those stamped before cutoff." }) telemetryDeleted: number
  @Field(() => Date, { description: "Requests that started before this instant were deleted: the database's clock less the period." }) cutoff: Date
}

@ObjectType({ description: 'A prune that finished since this process started, scheduled or asked for.' })
export class FinishedPrune {
  @Field(() => Int, { description: 'The period it kept, in days.' }) olderThanDays: number
  @Field(() => Date) finishedAt: Date
  @Field(() => PruneResult) deleted: PruneResult
}

@ObjectType({ description: 'The last prune that failed, when no prune has succeeded since.' })
export class FailedPrune {
  @Field(() => Int, { description: 'The period it was to keep, in days.' }) olderThanDays: number
  @Field(() => Date) failedAt: Date
  @Field(() => String, { description: 'Why, as the database said it (never a record\'s content).' }) message: string
}

@ObjectType({ description: 'How long records are kept, and how pruning has gone since this process started.' })
export class Retention implements RetentionStatus {
  @Field(() => Int, { nullable: true, description: 'RETENTION_DAYS: records that started longer ago are pruned shortly after start and every hour. Null when unset: records are kept until pruned by hand.' })
  retentionDays: number | null
  @Field(() => Boolean, { description: 'Whether a prune is running or waiting its turn.' }) pruning: boolean
  @Field(() => FinishedPrune, { nullable: true, description: 'The last prune that finished; null before the first.' }) lastPrune: FinishedPrune | null
  @Field(() => FailedPrune, { nullable: true, description: 'The last prune that failed, null once a later one finished: the next scheduled prune tries again.' }) lastFailure: FailedPrune | null
}
