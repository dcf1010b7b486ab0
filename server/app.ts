import 'reflect-metadata'
import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import type http from 'node:http'
import { Counter } from 'prom-client'
import type { DataSource } from 'typeorm'
import { buildApiSchema, createApiContextFactory } from './api'
import { createCapture, type Capture } from './capture/capture'
import { createBatchGrouping } from './conversations/batch-grouping'
import { createOtlpReceiver, OTLP_MAX_BODY_BYTES } from './claude-code-telemetry/otlp-receiver'
import { TelemetryWriter } from './claude-code-telemetry/telemetry-writer'
import { ensureDataDir } from './files/private-files'
import type { Config } from './config'
import { createGraphQLServer } from './graphql/graphql-server'
import { Grader } from './grading/grader'
import { createHttpServer } from './http/create-server'
import { HeaderRulesService } from './header-rules/header-rules.service'
import { createHealthReader } from './health/read-health'
import type { Lifecycle } from './http/health'
import { createMetrics } from './http/metrics'
import { findClientDir } from './http/static'
import type { LiveBus } from './live/live-bus'
import { createMemoryBus } from './live/memory-bus'
import { createRedisBus } from './live/redis-bus'
import { startSpanExport } from './telemetry/otlp-export'
import type { Logger } from './logger'
import { createProxy, type Proxy } from './proxy/forward'
import { createRouting } from './routing/message-router'
import { loadSubagentDefinitions } from './routing/subagent-detector'
import { scheduleRetention } from './retention/retention-schedule'
import { RetentionService } from './retention/retention.service'
import { createCaptureStore } from './store/capture-store'
import { openStore } from './store/data-source'
import { startEmbeddedPostgres } from './store/embedded/embedded-postgres'
import { startPartitionUpkeep } from './store/partitions'
import { createRetentionStore } from './store/retention-store'
import { recordPricer, withPricing } from './usage/priced-capture-store'
import { PricesService } from './usage/prices.service'
import { SettingsAudit } from './settings/settings-audit'

/** A running Claudescope: the parts tests and the CLI need to reach. */
export interface App {
  /** Base URL the server listens on, e.g. http://127.0.0.1:3001. */
  url: string
  server: http.Server
  dataSource: DataSource
  bus: LiveBus
  capture: Capture
  proxy: Proxy
  lifecycle: Lifecycle
  /** Prunes old records: on a schedule when RETENTION_DAYS is set, and when pruneRecords asks. */
  retention: RetentionService
  /** The header rules the proxy applies, reloaded on every change made here or on another instance. */
  headerRules: HeaderRulesService
  /** True when the database is the embedded PGlite. */
  embeddedDatabase: boolean
  /** Stops accepting work, flushes captured records, then closes everything (idempotent). */
  close(): Promise<void>
}

/**
 * Assembles and starts one instance. Data flows one way:
 * proxy → observer (capture) → live bus + queue → writer → store ← GraphQL.
 */
export async function startApp(config: Config, logger: Logger): Promise<App> {
  ensureDataDir(config.dataDirPath, logger)
  const embedded = config.databaseUrl
    ? null
    : await startEmbeddedPostgres({ dataDir: path.join(config.dataDirPath, 'pglite'), logger })
  const databaseUrl = config.databaseUrl ?? embedded!.url
  let dataSource: DataSource
  try {
    dataSource = await openStore(databaseUrl)
  } catch (err) {
    await embedded?.stop()
    throw err
  }

  const partitionUpkeep = await startPartitionUpkeep(dataSource, logger)
  const bus = config.redisUrl ? await connectRedisBus(config.redisUrl, logger) : createMemoryBus()
  // Loads the price book, then costs finished records left without a cost; the writer prices each batch with it.
  const prices = new PricesService({ dataSource, logger })
  prices.start()
  const settingsAudit = new SettingsAudit(dataSource)
  // Rule changes reach other instances through the bus; without Redis, on a shared PostgreSQL, the
  // in-process bus does not reach across processes, so the rules are also reloaded every 30 s there.
  const headerRules = new HeaderRulesService({ dataSource, bus, audit: settingsAudit, instanceId: randomUUID(), logger, pollIntervalMs: embedded === null && bus.link.transport === 'memory' ? 30_000 : undefined })
  try {
    // The first request already gets the stored rules.
    await headerRules.start()
  } catch (err) {
    await headerRules.close()
    prices.close()
    partitionUpkeep.stop()
    await bus.close()
    await dataSource.destroy()
    await embedded?.stop()
    throw err
  }
  // `metrics` reads capture and proxy figures, and they report into it: the hooks below refer to it
  // before its line, which is safe because nothing between here and there awaits.
  const capture = createCapture({
    store: withPricing(createCaptureStore(dataSource, createBatchGrouping({ dataSource, bus, logger })), prices),
    price: recordPricer(prices),
    bus,
    dataDir: config.dataDirPath,
    logger,
    limits: {
      maxItems: config.captureQueueMaxItems,
      maxBytes: config.captureQueueMaxBytes,
      batchMaxItems: config.captureBatchMaxItems,
      batchMaxBytes: config.captureBatchMaxBytes,
      spoolMaxBytes: config.spoolMaxBytes,
      spillAfterMs: config.captureSpillAfterMs,
      lingerMs: config.captureLingerMs,
    },
    onBatch: (records, seconds) => metrics.observeBatch(records, seconds),
    redactPatterns: config.redactPatterns,
    secretHeaders: config.redactHeaders,
  })
  const routing = config.routing
  const subagents = routing !== null && routing.subagents.length > 0 ? loadSubagentDefinitions(routing.subagents.map((route) => route.name), routing.agentsDirs, logger) : null
  const proxy = createProxy({
    forwardUrl: config.forwardUrl,
    headerTimeoutMs: config.responseHeaderTimeoutS * 1000,
    idleTimeoutMs: config.streamIdleTimeoutS * 1000,
    maxBodyBytes: config.maxBodyBytes,
    receiveTimeoutMs: config.requestReceiveTimeoutS * 1000,
    allowedOrigins: config.allowedOrigins,
    demoteNonStreaming: config.demoteNonStreaming,
    demotedStreamMaxBytes: config.demotedStreamMaxBytes,
    proxyToken: config.proxyToken,
    headerRewrite: headerRules.current,
    routing: routing === null ? undefined : createRouting(routing, subagents?.detect ?? null),
    observer: capture.observer,
    logger,
    onOverhead: (ms) => metrics.observeProxyOverhead(ms / 1000),
  })
  const lifecycle: Lifecycle = { draining: false, refuseNewWork: () => proxy.refuseNewWork(), inFlight: () => proxy.inFlight }
  const readHealth = createHealthReader({
    isDraining: () => lifecycle.draining,
    inFlight: () => proxy.inFlight,
    database: embedded ? 'embedded' : 'postgresql',
    liveSubscribers: () => bus.subscriberCount,
    liveLink: () => bus.link,
    captureStats: () => capture.stats(),
  })
  const retention = new RetentionService({ store: createRetentionStore(dataSource), retentionDays: config.retentionDays, logger })
  const metrics = createMetrics({ readHealth, bus, readSpool: () => capture.stats(), readRetention: () => retention.stats(), dashboardToken: config.dashboardToken })
  const refusedConnections = new Counter({ name: 'claudescope_connections_refused_total', help: 'Client connections closed on arrival because MAX_CONNECTIONS were open.', registers: [metrics.registry] })
  const graphql = createGraphQLServer({
    schema: await buildApiSchema(),
    createContext: createApiContextFactory({
      dataSource,
      bus,
      readHealth,
      retention,
      prices,
      headerRules,
      settingsAudit,
      grader: new Grader({ forwardUrl: config.forwardUrl, apiKey: config.graderApiKey, model: config.graderModel, timeoutMs: config.responseHeaderTimeoutS * 1000 }),
    }),
    dashboardToken: config.dashboardToken,
    logger,
  })
  const otlp = createOtlpReceiver({ writer: new TelemetryWriter(dataSource), dashboardToken: config.dashboardToken, maxBodyBytes: OTLP_MAX_BODY_BYTES, receiveTimeoutMs: config.requestReceiveTimeoutS * 1000, logger })
  const server = createHttpServer({
    proxy: (req, res) => proxy.handle(req, res),
    otlp,
    graphql: (req, res) => graphql.handle(req, res),
    metrics: (req, res) => metrics.handle(req, res),
    attachWebSocket: (s, isAllowedHost) => graphql.attach(s, isAllowedHost),
    lifecycle,
    bindHost: config.host,
    headersTimeoutMs: config.requestReceiveTimeoutS * 1000,
    maxConnections: config.maxConnections,
    onConnectionRefused: () => refusedConnections.inc(),
    clientDir: findClientDir(),
    logger,
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(config.port, config.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const host = config.host.includes(':') ? `[${config.host}]` : config.host
  const spanExport = config.otelEndpoint === undefined ? null : startSpanExport({ endpoint: config.otelEndpoint, protocol: config.otelProtocol, serviceName: config.otelServiceName, bus, logger })
  const retentionSchedule = config.retentionDays === undefined ? null : scheduleRetention({ prune: () => retention.prune(), logger })

  let closing: Promise<void> | undefined
  const close = () =>
    (closing ??= (async () => {
      lifecycle.draining = true
      // No prune runs through a drain: the one in progress stops after its current batch.
      retentionSchedule?.stop()
      partitionUpkeep.stop()
      const retentionStopped = retention.close()
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeIdleConnections()
      await graphql.stop()
      await proxy.close()
      subagents?.close()
      server.closeAllConnections()
      await serverClosed
      await capture.close()
      await spanExport?.close()
      await retentionStopped
      prices.close()
      metrics.close()
      await headerRules.close()
      await bus.close()
      await dataSource.destroy()
      await embedded?.stop()
    })())

  return { url: `http://${host}:${port}`, server, dataSource, bus, capture, proxy, lifecycle, retention, headerRules, embeddedDatabase: embedded !== null, close }
}

/** How long the start waits for Redis before going on alone until it connects. */
const REDIS_CONNECT_WAIT_MS = 5000

/** The Redis live bus, its first connection awaited briefly: a Redis that is down delays the start, never stops it. */
async function connectRedisBus(url: string, logger: Logger): Promise<LiveBus> {
  const bus = createRedisBus({ url, logger })
  let timer: NodeJS.Timeout | undefined
  const waited = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), REDIS_CONNECT_WAIT_MS)))
  const outcome = await Promise.race([bus.ready.then(() => 'ready' as const), waited])
  clearTimeout(timer)
  if (outcome === 'late') logger.warn({ redis: redactUrl(url) }, 'Redis is not reachable yet: live events stay on this instance until it is')
  return bus
}

/** A URL without its password, for logs. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'an invalid URL'
  }
}
