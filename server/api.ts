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
import { CacheForensicsService } from './conversations/cache-forensics.service'
import { ConversationsService } from './conversations/conversations.service'
import type { RetentionService } from './retention/retention.service'
import DataLoader from 'dataloader'
import type { Grader } from './grading/grader'
import { GradingResolver, type GradingContext } from './grading/grading.resolver'
import { GradingService } from './grading/grading.service'
import { PricesService } from './usage/prices.service'
import { UsageResolver, type UsageContext } from './usage/usage.resolver'
import { UsageService } from './usage/usage.service'
import { createLogger, type Logger } from './logger'
import type { OperationClient } from './graphql/graphql-server'
import { HeaderRulesResolver, RequestHeaderRulesResolver, type HeaderRulesContext } from './header-rules/header-rules.resolver'
import { HeaderRulesDryRunner } from './header-rules/header-rules-dry-runner'
import type { HeaderRulesService } from './header-rules/header-rules.service'
import type { SettingsAudit } from './settings/settings-audit'
import { SettingsResolver, type SettingsContext } from './settings/settings.resolver'
import { SettingsService } from './settings/settings.service'
import { createRateLimitLoader, QuotaWindowResolver, RateLimitsResolver, RequestRateLimitResolver, type RateLimitsContext } from './ratelimits/rate-limits.resolver'
import { RateLimitsService } from './ratelimits/rate-limits.service'

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
  UsageResolver,
  GradingResolver,
  HeaderRulesResolver,
  RequestHeaderRulesResolver,
  SettingsResolver,
  RateLimitsResolver,
  QuotaWindowResolver,
  RequestRateLimitResolver,
  ConversationsResolver,
  ConversationConnectionResolver,
  ConversationThreadResolver,
  ThreadMessageResolver,
  RequestConversationResolver,
] as const

/** What every resolver receives: each domain reads its own slice. */
export type ApiContext = RequestsContext & HealthContext & StorageContext & RetentionContext & UsageContext & GradingContext & HeaderRulesContext & SettingsContext & RateLimitsContext & ConversationsContext

export interface ApiDependencies {
  dataSource: DataSource
  bus: LiveBus
  /** This instance's state for the `health` query. */
  readHealth(): HealthReport
  /** Prunes old records; the app's own, shared with its schedule so one prune runs at a time. */
  retention: RetentionService
  /** Grades prompts with the server's own key (gradePrompt). */
  grader: Grader
  /** The price book the capture writer prices with (the app's own); one is made when not given. */
  prices?: PricesService
  /** For a price book made here. */
  logger?: Logger
  /** The header rules whose snapshot the proxy applies (started by the caller). */
  headerRules: HeaderRulesService
  /** The audit list every settings change is written to. */
  settingsAudit: SettingsAudit
}

export function buildApiSchema(): Promise<GraphQLSchema> {
  return buildGraphQLSchema(resolvers)
}

/** Builds the services once; each call of the returned function makes one operation's context (fresh loaders). */
export function createApiContextFactory({ dataSource, bus, readHealth, retention, grader, prices, logger, headerRules, settingsAudit }: ApiDependencies): (client: OperationClient) => ApiContext {
  const requests = new RequestsService(dataSource)
  const storage = new StorageService(dataSource)
  const usage = new UsageService(dataSource)
  const priceBook = prices ?? new PricesService({ dataSource, logger: logger ?? createLogger('silent') })
  const grading = new GradingService(dataSource, requests, grader)
  const headerRulesDryRun = new HeaderRulesDryRunner(dataSource, headerRules)
  // Every persisted settings section.
  const settings = new SettingsService(dataSource, settingsAudit, [headerRules, priceBook])
  const rateLimits = new RateLimitsService(dataSource)
  const conversations = new ConversationsService(dataSource)
  const cacheForensics = new CacheForensicsService(dataSource, priceBook)
  return (client) => ({
    requests,
    bus,
    readHealth,
    storage,
    retention,
    usage,
    prices: priceBook,
    requestLoaders: createRequestLoaders(requests),
    grading,
    gradeLoader: new DataLoader((ids) => grading.gradesOf(ids), { cache: false }),
    headerRules,
    headerRulesDryRun,
    settings,
    settingsAudit,
    client,
    rateLimits,
    rateLimitLoader: createRateLimitLoader(rateLimits),
    conversations,
    conversationLoaders: createConversationLoaders(conversations, cacheForensics),
  })
}
