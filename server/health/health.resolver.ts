import { Ctx, Query, Resolver } from 'type-graphql'
import type { GraphQLContext } from '../graphql/context'
import { Health } from './health.types'

@Resolver()
export class HealthResolver {
  @Query(() => Health, { description: "This instance's state: draining, in-flight exchanges, capture queue, spool and drops." })
  health(@Ctx() ctx: GraphQLContext): Health {
    return ctx.readHealth()
  }
}
