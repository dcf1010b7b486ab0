import 'reflect-metadata'
import type { GraphQLSchema } from 'graphql'
import { GraphQLDateTime } from 'graphql-scalars'
import { buildSchema, type NonEmptyArray, type PubSub } from 'type-graphql'

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
 * A schema generated from type-graphql resolver classes, listed explicitly by the caller (no globs:
 * they break under Vitest and bundlers). `Date` maps to graphql-scalars' `DateTime` (ISO-8601
 * strings). `validate: false` because class-validator is not used.
 */
export function buildGraphQLSchema(resolvers: Readonly<NonEmptyArray<Function>>): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [...resolvers] as NonEmptyArray<Function>,
    scalarsMap: [{ type: Date, scalar: GraphQLDateTime }],
    validate: false,
    pubSub: noTopicPubSub,
  })
}
