import { GraphQLSafeInt } from 'graphql-scalars'
import { Field, ObjectType } from 'type-graphql'
import type { PruneResult as StoredPruneResult } from '../store/retention-store'

@ObjectType({ description: 'What one prune deleted.' })
export class PruneResult implements StoredPruneResult {
  @Field(() => GraphQLSafeInt, { description: 'Requests deleted, with their stream chunks: those that started before cutoff, whatever their status.' }) requestsDeleted: number
  @Field(() => GraphQLSafeInt, { description: 'Stored body parts (system blocks, tools, messages) deleted: those no kept request uses.' }) contentsDeleted: number
  @Field(() => GraphQLSafeInt, { description: "Claude Code's own events and metric points (received over OTLP) deleted: those stamped before cutoff." }) telemetryDeleted: number
  @Field(() => Date, { description: "Requests that started before this instant were deleted: the database's clock less the period." }) cutoff: Date
}
