import type { IncomingMessage, ServerResponse } from 'node:http'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { SpillReason } from '../capture/spool/spool'
import { isAuthorized } from '../graphql/dashboard-auth'
import type { HealthReport } from '../health/health-report'
import type { LiveBus } from '../live/live-bus'
import type { RetentionStats } from '../retention/retention.service'
import { createModelLabeler } from './model-label'

export interface Metrics {
  registry: Registry
  /** Time one database batch took, and how many records it held. */
  observeBatch(records: number, seconds: number): void
  /** Time the proxy itself spent on an exchange, outside upstream and the client's upload. */
  observeProxyOverhead(seconds: number): void
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>
  close(): void
}

/** Capture's disk-spool figures beyond the health report (what spilled to disk while the database was slow or down). */
export interface SpoolFigures {
  /** Records waiting in the spool. */
  spoolRecords: number
  /** Records written to the spool since start, by why they went to disk. */
  spilledBy: Readonly<Record<SpillReason, number>>
  /** Records replayed from the spool into the database since start. */
  replayed: number
}

export interface MetricsOptions {
  readHealth: () => HealthReport
  /** Finished exchanges are counted from its request events; its own counters are exported too. */
  bus: LiveBus
  /** Capture's spool figures, read at each scrape. */
  readSpool: () => SpoolFigures
  /** Retention's totals, read at each scrape. */
  readRetention: () => RetentionStats
  /**
   * DASHBOARD_TOKEN: when set, /metrics answers 401 without `Authorization: Bearer <token>`
   * (Prometheus sends it with `authorization.credentials`), like everything else it guards.
   * Unset: open, as on a loopback-only install. @default unset
   */
  dashboardToken?: string
  /** Distinct model labels of `claudescope_requests_total` before the rest count as `other` (see `createModelLabeler`). @default 50 */
  maxModelLabels?: number
}

/**
 * Prometheus metrics, one registry per app so several instances can live in one process
 * (tests). Request outcomes are counted from the live bus, so the proxy carries no metrics code.
 */
export function createMetrics(options: MetricsOptions): Metrics {
  const { readHealth, readSpool, readRetention, bus, dashboardToken } = options
  const modelLabel = createModelLabeler(options.maxModelLabels ?? 50)
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'claudescope_' })

  const requests = new Counter({ name: 'claudescope_requests_total', help: 'Finished /v1/* exchanges by outcome, model and upstream HTTP status.', labelNames: ['status', 'model', 'http_status'], registers: [registry] })
  const duration = new Histogram({ name: 'claudescope_request_duration_seconds', help: 'Whole exchange duration, start to last byte.', labelNames: ['stream'], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800], registers: [registry] })
  const overhead = new Histogram({ name: 'claudescope_proxy_overhead_seconds', help: 'Time the proxy itself added to an exchange.', buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1], registers: [registry] })
  const batchSeconds = new Histogram({ name: 'claudescope_db_write_seconds', help: 'Duration of one capture batch transaction.', buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry] })
  const batchSize = new Histogram({ name: 'claudescope_db_batch_records', help: 'Records written per capture batch.', buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500], registers: [registry] })
  const figures = () => readHealth().capture
  new Gauge({ name: 'claudescope_in_flight', help: '/v1/* exchanges in flight.', registers: [registry], collect() { this.set(readHealth().inFlight) } })
  new Gauge({ name: 'claudescope_live_subscribers', help: 'Open live subscriptions of clients (GraphQL subscriptions).', registers: [registry], collect() { this.set(readHealth().liveSubscribers) } })
  new Gauge({ name: 'claudescope_capture_queue_items', help: 'Records waiting in memory for the database.', registers: [registry], collect() { this.set(figures().queueItems) } })
  new Gauge({ name: 'claudescope_capture_queue_bytes', help: 'Bytes of records waiting in memory for the database.', registers: [registry], collect() { this.set(figures().queueBytes) } })
  new Gauge({ name: 'claudescope_capture_spool_bytes', help: 'Bytes of records spilled to the disk spool, waiting for the database.', registers: [registry], collect() { this.set(figures().spoolBytes) } })
  new Gauge({ name: 'claudescope_capture_spool_records', help: 'Records spilled to the disk spool, waiting for the database.', registers: [registry], collect() { this.set(readSpool().spoolRecords) } })
  monotonic(
    registry,
    'claudescope_capture_spilled_total',
    'Records written to the disk spool, by reason: queue_full (the database writes slower than traffic arrives), database_failing, database_stalled (a write hangs), shutdown.',
    () => readSpool().spilledBy,
    'reason',
  )
  monotonic(registry, 'claudescope_capture_replayed_total', 'Records replayed from the disk spool into the database.', () => readSpool().replayed)
  monotonic(registry, 'claudescope_capture_dropped_total', 'Records lost because the queue and spool were full.', () => figures().lost)
  monotonic(registry, 'claudescope_capture_written_total', 'Records written to the database.', () => figures().written)
  monotonic(registry, 'claudescope_capture_failed_batches_total', 'Capture batches the database refused (retried or spooled).', () => figures().failedBatches)
  monotonic(registry, 'claudescope_capture_reduced_total', 'Records the database refused as captured and took in reduced form (long fields cut, flagged CAPTURE_REDUCED).', () => figures().reduced)
  monotonic(registry, 'claudescope_capture_quarantined_total', 'Records the database refused even reduced, kept in DATA_DIR/quarantine instead.', () => figures().quarantined)
  monotonic(registry, 'claudescope_retention_runs_total', 'Prunes of old records started (scheduled by RETENTION_DAYS, or asked for with pruneRecords).', () => readRetention().runs)
  monotonic(registry, 'claudescope_retention_failed_runs_total', 'Prunes of old records that failed (the database was down, say); the next one goes on.', () => readRetention().failedRuns)
  monotonic(registry, 'claudescope_retention_requests_deleted_total', 'Requests deleted by retention, with their stream chunks.', () => readRetention().requestsDeleted)
  monotonic(registry, 'claudescope_retention_contents_deleted_total', 'Stored body parts deleted by retention once no kept request used them.', () => readRetention().contentsDeleted)
  monotonic(registry, 'claudescope_live_dropped_total', 'Live events a slow subscriber lost because its buffer was full.', () => bus.droppedEvents)
  new Gauge({ name: 'claudescope_live_link_connected', help: "1 while other instances' live events arrive (always 1 without REDIS_URL).", registers: [registry], collect() { this.set(bus.link.connected ? 1 : 0) } })
  monotonic(registry, 'claudescope_live_unshared_total', 'Live events published here that other instances never got, because Redis was away.', () => bus.link.unsharedEvents)
  monotonic(registry, 'claudescope_live_link_interruptions_total', 'Times the Redis link to other instances broke; their live events meanwhile were missed here.', () => bus.link.interruptions)
  monotonic(registry, 'claudescope_live_replay_evictions_total', 'In-flight requests whose live replay buffer was released early to bound memory (late subscribers then read the store).', () => bus.replayEvictions)

  const events = bus.subscribe((e) => e.kind === 'request' && e.record.status !== 'IN_FLIGHT', { internal: true, localOnly: true, kinds: ['request'] })
  void (async () => {
    for await (const event of events) {
      if (event.kind !== 'request') continue
      const r = event.record
      requests.inc({ status: r.status, model: modelLabel(r.model), http_status: r.httpStatus === null ? 'none' : String(r.httpStatus) })
      if (r.durationMs !== null) duration.observe({ stream: String(r.stream) }, r.durationMs / 1000)
    }
  })()

  // The latest figure wherever it was reported: a gauge, not a count, so no instance counts twice.
  const quota = new Gauge({
    name: 'claudescope_ratelimit_utilization',
    help: 'Fraction of a subscription quota window (5h, 7d) used, as the latest response of an organization and API key reported it.',
    labelNames: ['organization', 'api_key', 'window'],
    registers: [registry],
  })
  const snapshots = bus.subscribe(undefined, { internal: true, kinds: ['rateLimit'] })
  void (async () => {
    for await (const event of snapshots) {
      if (event.kind !== 'rateLimit') continue
      const { organizationId, apiKeyFingerprint, unified5hUtilization, unified7dUtilization } = event.snapshot
      const series = { organization: organizationId ?? 'none', api_key: apiKeyFingerprint ?? 'none' }
      if (unified5hUtilization !== null) quota.set({ ...series, window: '5h' }, unified5hUtilization)
      if (unified7dUtilization !== null) quota.set({ ...series, window: '7d' }, unified7dUtilization)
    }
  })()

  return {
    registry,
    observeBatch(records, seconds) {
      batchSize.observe(records)
      batchSeconds.observe(seconds)
    },
    observeProxyOverhead: (seconds) => overhead.observe(seconds),
    async handle(req, res) {
      if (!isAuthorized(req.headers.authorization, dashboardToken)) {
        res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer realm="claudescope"' })
        res.end('/metrics needs Authorization: Bearer <DASHBOARD_TOKEN>\n')
        return
      }
      const text = await registry.metrics()
      res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' })
      res.end(text)
    },
    close() {
      void events.return?.()
      void snapshots.return?.()
      registry.clear()
    },
  }
}

/**
 * A counter mirroring a running total kept elsewhere (prom-client counters only go up by inc): at
 * each scrape it adds what the total grew by. With `labelName`, one total per value of the label.
 */
function monotonic(registry: Registry, name: string, help: string, read: () => number): void
function monotonic(registry: Registry, name: string, help: string, read: () => Readonly<Record<string, number>>, labelName: string): void
function monotonic(registry: Registry, name: string, help: string, read: () => number | Readonly<Record<string, number>>, labelName?: string): void {
  const seen = new Map<string, number>()
  new Counter({
    name,
    help,
    labelNames: labelName === undefined ? [] : [labelName],
    registers: [registry],
    collect() {
      const totals = read()
      for (const [value, now] of typeof totals === 'number' ? [['', totals] as const] : Object.entries(totals)) {
        const grew = now - (seen.get(value) ?? 0)
        // Every label value is exported from the first scrape, at 0 until it counts something.
        if (labelName === undefined) this.inc(Math.max(grew, 0))
        else this.inc({ [labelName]: value }, Math.max(grew, 0))
        seen.set(value, now)
      }
    },
  })
}
