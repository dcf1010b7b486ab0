import 'reflect-metadata'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { GraphQLSchema } from 'graphql'
import type { DataSource } from 'typeorm'
import { buildApiSchema, createApiContextFactory } from '../../server/api'
import { createGraphQLServer } from '../../server/graphql/graphql-server'
import type { LiveBus } from '../../server/live/live-bus'
import { createMemoryBus } from '../../server/live/memory-bus'
import { createLogger } from '../../server/logger'
import { Grader } from '../../server/grading/grader'
import { HeaderRulesService } from '../../server/header-rules/header-rules.service'
import { RetentionService } from '../../server/retention/retention.service'
import { SettingsAudit } from '../../server/settings/settings-audit'
import { openStore } from '../../server/store/data-source'
import { createRetentionStore } from '../../server/store/retention-store'
import { createTestDatabase } from './test-database'

export interface GraphQLHarness {
  /** Base URL; GraphQL at `${url}/graphql`. */
  url: string
  dataSource: DataSource
  bus: LiveBus
  /** Another server on the same database and bus (e.g. with a dashboard token); closed with the harness. */
  serve(options: ServeOptions): Promise<string>
  close(): Promise<void>
}

export interface ServeOptions {
  dashboardToken?: string
  /** RETENTION_DAYS of the served API (its pruneRecords default). */
  retentionDays?: number
  /** The grader of the served API; by default one with no key, which refuses to grade. */
  grader?: Grader
}

let schema: Promise<GraphQLSchema> | undefined

/** Real HTTP servers serving only /graphql (HTTP and graphql-ws) on a fresh, migrated database. */
export async function startGraphQLHarness(options: ServeOptions = {}): Promise<GraphQLHarness> {
  const database = await createTestDatabase()
  const dataSource = await openStore(database.url)
  const bus = createMemoryBus()
  const servers: { close(): Promise<void> }[] = []
  const serve = async (serveOptions: ServeOptions) => {
    const server = await serveGraphQL(dataSource, bus, serveOptions)
    servers.push(server)
    return server.url
  }
  return {
    url: await serve(options),
    dataSource,
    bus,
    serve,
    async close() {
      await Promise.all(servers.map((server) => server.close()))
      await bus.close()
      await dataSource.destroy()
      await database.drop()
    },
  }
}

async function serveGraphQL(dataSource: DataSource, bus: LiveBus, options: ServeOptions) {
  const logger = createLogger(process.env.LOG_LEVEL ?? 'silent')
  const retention = new RetentionService({ store: createRetentionStore(dataSource), retentionDays: options.retentionDays, logger })
  const settingsAudit = new SettingsAudit(dataSource)
  const headerRules = new HeaderRulesService({ dataSource, bus, audit: settingsAudit, instanceId: `harness-${Math.random()}`, logger })
  await headerRules.start()
  const graphql = createGraphQLServer({
    schema: await (schema ??= buildApiSchema()),
    createContext: createApiContextFactory({
      dataSource,
      bus,
      readHealth: () => ({ status: 'healthy', draining: false, inFlight: 0, database: 'postgresql', liveSubscribers: bus.subscriberCount, live: bus.link, capture: { queueItems: 0, queueBytes: 0, spoolBytes: 0, written: 0, lost: 0, failedBatches: 0, reduced: 0, quarantined: 0, lastWriteMs: 0 } }),
      retention,
      grader: options.grader ?? new Grader({ forwardUrl: 'http://127.0.0.1:9', apiKey: undefined, model: 'claude-sonnet-4-5', timeoutMs: 1000 }),
      headerRules,
      settingsAudit,
    }),
    dashboardToken: options.dashboardToken,
    logger,
  })
  const server = http.createServer((req, res) => {
    if ((req.url ?? '').split('?')[0] === '/graphql') void graphql.handle(req, res)
    else res.writeHead(404).end()
  })
  graphql.attach(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      await graphql.stop()
      server.closeAllConnections()
      await closed
      await retention.close()
      await headerRules.close()
    },
  }
}
