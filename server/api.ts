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
import type { RetentionService } from './retention/retention.service'
import type { OperationClient } from './graphql/graphql-server'
import { HeaderRulesResolver, RequestHeaderRulesResolver, type HeaderRulesContext } from './header-rules/header-rules.resolver'
import { HeaderRulesDryRunner } from './header-rules/header-rules-dry-runner'
import type { HeaderRulesService } from './header-rules/header-rules.service'
import type { SettingsAudit } from './settings/settings-audit'
import { SettingsResolver, type SettingsContext } from './settings/settings.resolver'
import { SettingsService } from './settings/settings.service'

/**
 * The GraphQL API's composition: which domains it serves and the context their resolvers share.
 * `graphql/` is the transport (Apollo, graphql-ws, limits, auth) and knows none of them.
 */
const resolvers = [RequestsResolver, RequestConnectionResolver, HealthResolver, StorageResolver, RetentionResolver, HeaderRulesResolver, RequestHeaderRulesResolver, SettingsResolver] as const

/** What every resolver receives: each domain reads its own slice. */
export type ApiContext = RequestsContext & HealthContext & StorageContext & RetentionContext & HeaderRulesContext & SettingsContext

export interface ApiDependencies {
  dataSource: DataSource
  bus: LiveBus
  /** This instance's state for the `health` query. */
  readHealth(): HealthReport
  /** Prunes old records; the app's own, shared with its schedule so one prune runs at a time. */
  retention: RetentionService
  /** The header rules whose snapshot the proxy applies (started by the caller). */
  headerRules: HeaderRulesService
  /** The audit list every settings change is written to. */
  settingsAudit: SettingsAudit
}

export function buildApiSchema(): Promise<GraphQLSchema> {
  return buildGraphQLSchema(resolvers)
}

/** Builds the services once; each call of the returned function makes one operation's context (fresh loaders). */
export function createApiContextFactory({ dataSource, bus, readHealth, retention, headerRules, settingsAudit }: ApiDependencies): (client: OperationClient) => ApiContext {
  const requests = new RequestsService(dataSource)
  const storage = new StorageService(dataSource)
  const headerRulesDryRun = new HeaderRulesDryRunner(dataSource, headerRules)
  // Every persisted settings section; others (prices, …) join this list.
  const settings = new SettingsService(dataSource, settingsAudit, [headerRules])
  return (client) => ({ requests, bus, readHealth, storage, retention, headerRules, headerRulesDryRun, settings, settingsAudit, client, requestLoaders: createRequestLoaders(requests) })
}
