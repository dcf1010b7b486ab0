import http from 'node:http'
import type { Logger } from '../logger'
import { handleHealth, handleLivez, sendJson, type Lifecycle } from './health'
import { createHostCheck } from './host-check'
import { handleOpenApi } from './openapi'
import { matchRoute, type Handler, type Route } from './routes'
import { handleStatic } from './static'

export interface HttpServerParts {
  /** The /v1/* forwarder. */
  proxy: Handler
  /** Claude Code's own telemetry, over OTLP/HTTP, under /otlp/. */
  otlp: Handler
  /** GET/POST /graphql. */
  graphql: Handler
  /** Prometheus text at /metrics. */
  metrics: Handler
  /** Attaches graphql-ws to the server's upgrade event on /graphql, behind the same Host guard. */
  attachWebSocket(server: http.Server, isAllowedHost: (host: string | undefined) => boolean): void
  lifecycle: Lifecycle
  /** The address the server binds; decides which Host headers are served (see host-check.ts). */
  bindHost: string
  /** Longest a client may take to send request headers (408 and the connection closed after). */
  headersTimeoutMs: number
  /** Most connections open at once; the server closes further ones as they arrive. */
  maxConnections: number
  /** Told of each connection closed because `maxConnections` were open. */
  onConnectionRefused(): void
  /** Built dashboard directory, or null when not built. */
  clientDir: string | null
  logger: Logger
}

/** One process, one port: the routing table for everything Claudescope serves. */
export function createHttpServer(parts: HttpServerParts): http.Server {
  const routes: Route[] = [
    // The proxy answers its own refusals (draining included), so each is recorded.
    { methods: '*', path: '/v1/', handler: parts.proxy },
    // OTLP exporters append /v1/logs and /v1/metrics to their endpoint: /otlp keeps them off the proxy's /v1/.
    { methods: '*', path: '/otlp/', handler: parts.otlp },
    { methods: ['GET', 'POST'], path: '/graphql', handler: parts.graphql },
    { methods: ['GET', 'HEAD'], path: '/health', handler: handleHealth(parts.lifecycle) },
    { methods: ['GET', 'HEAD'], path: '/livez', handler: handleLivez(parts.lifecycle) },
    { methods: ['GET'], path: '/metrics', handler: parts.metrics },
    { methods: ['GET'], path: '/openapi.json', handler: handleOpenApi },
    // Claude Code probes the base URL with HEAD / at start.
    { methods: ['HEAD'], path: '/', handler: (_req, res) => void res.writeHead(200).end() },
    { methods: ['GET', 'HEAD'], path: '/', handler: handleStatic(parts.clientDir) },
  ]
  const serveStatic = handleStatic(parts.clientDir)

  const isAllowedHost = createHostCheck(parts.bindHost)

  // requestTimeout stays off: it would bound whole exchanges, and streams last half an hour. Node
  // checks headersTimeout every connectionsCheckingInterval, so that follows it.
  const serverOptions = { noDelay: true, keepAliveTimeout: 65_000, requestTimeout: 0, connectionsCheckingInterval: Math.min(30_000, parts.headersTimeoutMs) }
  const server = http.createServer(serverOptions, (req, res) => {
    if (!isAllowedHost(req.headers.host)) return forbiddenHost(req, res)
    const method = req.method ?? 'GET'
    const url = req.url ?? '/'
    const route = matchRoute(routes, method, url)
    const handler = route?.handler ?? (method === 'GET' || method === 'HEAD' ? serveStatic : notFound)
    try {
      const pending = handler(req, res)
      if (pending) pending.catch((err: unknown) => failed(err, res, parts.logger))
    } catch (err) {
      failed(err, res, parts.logger)
    }
  })
  server.headersTimeout = parts.headersTimeoutMs
  // A connection past the cap is closed before any byte is read: no memory, no handler.
  server.maxConnections = parts.maxConnections
  server.on('drop', () => parts.onConnectionRefused())
  parts.attachWebSocket(server, isAllowedHost)
  return server
}

function forbiddenHost(req: http.IncomingMessage, res: http.ServerResponse): void {
  sendJson(res, 421, { type: 'error', error: { type: 'permission_error', message: `Host ${req.headers.host} is not served: Claudescope listens on loopback only (set HOST and DASHBOARD_TOKEN to serve other names)` } })
}

function notFound(req: http.IncomingMessage, res: http.ServerResponse): void {
  sendJson(res, 404, { type: 'error', error: { type: 'not_found_error', message: `No route for ${req.method} ${req.url}` } })
}

function failed(err: unknown, res: http.ServerResponse, logger: Logger): void {
  logger.error({ err }, 'unhandled error in HTTP handler')
  if (!res.headersSent) sendJson(res, 500, { type: 'error', error: { type: 'api_error', message: 'Internal error' } })
  else res.destroy()
}
