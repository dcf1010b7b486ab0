import type { DataSource } from 'typeorm'
import type { GraphQLSchema } from 'graphql'
import { buildGraphQLSchema } from './graphql/schema'
import type { HealthContext } from './health/health.resolver'
import { HealthResolver } from './health/health.resolver'
import type { LiveBus } from './live/live-bus'
import { createRequestLoaders } from './requests/request-loaders'
import { RequestConnectionResolver, RequestsResolver, type RequestsContext } from './requests/requests.resolver'
import { RequestsService } from './requests/requests.service'
import type { HealthReport } from './health/health-report'
import { StorageResolver, type StorageContext } from './storage/storage.resolver'
import { StorageService } from './storage/storage.service'
import { RetentionResolver, type RetentionContext } from './retention/retention.resolver'
import { createConversationLoaders } from './conversations/conversation-loaders'
import {
  ConversationConnectionResolver,
  ConversationsResolver,
  ConversationThreadResolver,
  RequestConversationResolver,
  ThreadMessageResolver,
  type ConversationsContext,
} from './conversations/conversations.resolver'
import { ConversationsService } from './conversations/conversations.service'
import type { RetentionService } from './retention/retention.service'

/**
 * The GraphQL API's composition: which domains it serves and the context their resolvers share.
 * `graphql/` is the transport (Apollo, graphql-ws, limits, auth) and knows none of them.
 */
const resolvers = [
  RequestsResolver,
  RequestConnectionResolver,
  HealthResolver,
  StorageResolver,
  RetentionResolver,
  ConversationsResolver,
  ConversationConnectionResolver,
  ConversationThreadResolver,
  ThreadMessageResolver,
  RequestConversationResolver,
] as const

/** What every resolver receives: each domain reads its own slice. */
export type ApiContext = RequestsContext & HealthContext & StorageContext & RetentionContext & ConversationsContext

export interface ApiDependencies {
  dataSource: DataSource
  bus: LiveBus
  /** This instance's state for the `health` query. */
  readHealth(): HealthReport
  /** Prunes old records; the app's own, shared with its schedule so one prune runs at a time. */
  retention: RetentionService
}

export function buildApiSchema(): Promise<GraphQLSchema> {
  return buildGraphQLSchema(resolvers)
}

/** Builds the services once; each call of the returned function makes one operation's context (fresh loaders). */
export function createApiContextFactory({ dataSource, bus, readHealth, retention }: ApiDependencies): () => ApiContext {
  const requests = new RequestsService(dataSource)
  const storage = new StorageService(dataSource)
  const conversations = new ConversationsService(dataSource)
  return () => ({
    requests,
    bus,
    readHealth,
    storage,
    retention,
    requestLoaders: createRequestLoaders(requests),
    conversations,
    conversationLoaders: createConversationLoaders(conversations),
  })
}
