import 'reflect-metadata'
import type { GraphQLSchema } from 'graphql'
import { GraphQLDateTime } from 'graphql-scalars'
import { buildSchema, type PubSub } from 'type-graphql'
import { HealthResolver } from '../health/health.resolver'
import { RequestConnectionResolver, RequestsResolver } from '../requests/requests.resolver'

/** Every resolver class, listed explicitly (no globs: they break under Vitest and bundlers). */
const resolvers = [RequestsResolver, RequestConnectionResolver, HealthResolver] as const

/**
 * type-graphql requires a PubSub as soon as any subscription exists. Ours read the LiveBus through
 * their `subscribe` option instead, so topic subscriptions are refused loudly rather than stubbed.
 */
const noTopicPubSub: PubSub = {
  publish(topic) {
    throw new Error(`Topic publishing is not used (got ${topic}); publish LiveEvents on the LiveBus`)
  },
  subscribe(topic) {
    throw new Error(`Topic subscriptions are not used (got ${topic}); give @Subscription a subscribe function over the LiveBus`)
  },
}

/**
 * The API's schema, generated from the type-graphql classes. `Date` maps to graphql-scalars'
 * `DateTime` (ISO-8601 strings, SPEC §7). `validate: false` because class-validator is not used.
 */
export function buildGraphQLSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers,
    scalarsMap: [{ type: Date, scalar: GraphQLDateTime }],
    validate: false,
    pubSub: noTopicPubSub,
  })
}
