import type { DataSource } from 'typeorm'
import type { HealthReport } from '../health/health-report'
import type { LiveBus } from '../live/live-bus'
import { createRequestLoaders, type RequestLoaders } from '../requests/request-loaders'
import { RequestsService } from '../requests/requests.service'

/** What every resolver receives: the domain services, the live bus, and this operation's loaders. */
export interface GraphQLContext {
  requests: RequestsService
  bus: LiveBus
  /** Fresh per operation (an HTTP request, or one graphql-ws subscription). */
  requestLoaders: RequestLoaders
  readHealth(): HealthReport
}

export interface ContextDependencies {
  dataSource: DataSource
  bus: LiveBus
  readHealth(): HealthReport
}

/** Builds the services once; each call of the returned function makes one operation's context. */
export function createContextFactory({ dataSource, bus, readHealth }: ContextDependencies): () => GraphQLContext {
  const requests = new RequestsService(dataSource)
  return () => ({ requests, bus, readHealth, requestLoaders: createRequestLoaders(requests) })
}
