import type { DataSource } from 'typeorm'
import type { LiveBus } from '../live/live-bus'
import { createRequestLoaders, type RequestLoaders } from '../requests/request-loaders'
import { RequestsService } from '../requests/requests.service'

/** What every resolver receives: the domain services, the live bus, and this operation's loaders. */
export interface GraphQLContext {
  requests: RequestsService
  bus: LiveBus
  /** Fresh per operation (an HTTP request, or one graphql-ws subscription). */
  requestLoaders: RequestLoaders
}

export interface ContextDependencies {
  dataSource: DataSource
  bus: LiveBus
}

/** Builds the services once; each call of the returned function makes one operation's context. */
export function createContextFactory({ dataSource, bus }: ContextDependencies): () => GraphQLContext {
  const requests = new RequestsService(dataSource)
  return () => ({ requests, bus, requestLoaders: createRequestLoaders(requests) })
}
