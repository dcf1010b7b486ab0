import type http from 'node:http'
import type { Duplex } from 'node:stream'
import { ApolloServer, HeaderMap, type HTTPGraphQLRequest } from '@apollo/server'
import { ApolloServerPluginLandingPageDisabled, ApolloServerPluginUsageReportingDisabled } from '@apollo/server/plugin/disabled'
import type { ExecutionResult, GraphQLFormattedError, GraphQLSchema } from 'graphql'
import type { Logger } from '../logger'
import { isAuthorized, isCrossOrigin } from './dashboard-auth'
import { formatError } from './errors'
import { apolloLimits, parseAndValidate } from './graphql-limits'
import { createGraphQLWsServer, type GraphQLWsServer } from './graphql-ws-glue'
import { refuseHttpSubscriptions } from './refuse-http-subscriptions'

/** Who sent an operation, as the connection tells it: for the audit of settings changes. */
export interface OperationClient {
  /** The peer's address (the proxy in front of us, if any). */
  remoteAddress: string | null
  userAgent: string | null
}

export interface GraphQLServerOptions<Context extends object> {
  schema: GraphQLSchema
  /** Called once per operation (an HTTP request, or one graphql-ws subscription) for the resolvers' context. */
  createContext(client: OperationClient): Context
  /** When set, HTTP needs `Authorization: Bearer <token>` and graphql-ws `connectionParams.authorization`: the dashboard token guards every API. */
  dashboardToken?: string
  logger: Logger
  /** Largest POST body accepted (413 beyond); queries are small. @default 1 MiB */
  maxBodyBytes?: number
}

export interface GraphQLServer {
  /** Serves GET and POST /graphql (GraphQL over HTTP). */
  handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void>
  /** Serves graphql-ws upgrades on /graphql after the Origin check (no socket from another site's page); `isAllowedHost` is the server's DNS-rebinding guard. */
  attach(server: http.Server, isAllowedHost?: (host: string | undefined) => boolean): void
  /** Closes every WebSocket and stops Apollo. */
  stop(): Promise<void>
}

const PATH = '/graphql'

/**
 * Largest WebSocket message accepted (bytes). graphql-ws messages are small queries; ws would
 * otherwise buffer and parse up to 100 MiB per frame, before the token is checked. A larger frame
 * closes the socket with 1009 (message too big).
 */
const MAX_WS_MESSAGE_BYTES = 1024 * 1024

/** Apollo over plain node:http plus graphql-ws on the same path, sharing schema, context, limits and error masking. */
export function createGraphQLServer<Context extends object>(options: GraphQLServerOptions<Context>): GraphQLServer {
  const { schema, createContext, dashboardToken, logger } = options
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024
  const limits = apolloLimits()
  const format = (formatted: GraphQLFormattedError, error: unknown) => formatError(formatted, error, logger)

  const apollo = new ApolloServer<Context>({
    schema,
    introspection: true,
    // Enforced below instead: POST must be JSON (never a form a foreign page can submit), and GET
    // may only run queries, so plain GETs from notebooks keep working without extra headers.
    csrfPrevention: false,
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    plugins: [...limits.plugins, refuseHttpSubscriptions(), ApolloServerPluginLandingPageDisabled(), ApolloServerPluginUsageReportingDisabled()],
    formatError: format,
    logger,
    // The app owns signal handling and the drain order of a graceful stop.
    stopOnTerminationSignals: false,
  })
  // Operations wait for the start; a failed start fails them (and is logged once here).
  const started = apollo.start()
  started.catch((err: unknown) => logger.error({ err }, 'GraphQL server failed to start'))

  let wsServer: GraphQLWsServer | null = null
  let detach: (() => void) | null = null

  return {
    async handle(req, res) {
      if (!isAuthorized(req.headers.authorization, dashboardToken)) {
        return sendErrors(res, 401, 'UNAUTHENTICATED', 'Missing or wrong dashboard token: send Authorization: Bearer <DASHBOARD_TOKEN>', {
          'www-authenticate': 'Bearer',
        })
      }
      const method = (req.method ?? 'GET').toUpperCase()
      let body: unknown
      if (method === 'POST') {
        if (!isJsonContentType(req.headers['content-type'])) {
          return sendErrors(res, 415, 'UNSUPPORTED_MEDIA_TYPE', `POST /graphql needs content-type application/json (got ${req.headers['content-type'] ?? 'none'})`)
        }
        const read = await readBody(req, maxBodyBytes)
        if (read === null) {
          return sendErrors(res, 413, 'PAYLOAD_TOO_LARGE', `Request body exceeds ${maxBodyBytes} bytes`, { connection: 'close' })
        }
        try {
          body = JSON.parse(read)
        } catch (error) {
          return sendErrors(res, 400, 'BAD_REQUEST', `Request body is not valid JSON: ${(error as Error).message}`)
        }
      }
      const url = req.url ?? PATH
      const request: HTTPGraphQLRequest = { method, headers: toHeaderMap(req.headers), search: url.includes('?') ? url.slice(url.indexOf('?')) : '', body }
      const response = await apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest: request, context: async () => createContext(clientOf(req)) })
      res.statusCode = response.status ?? 200
      for (const [name, value] of response.headers) res.setHeader(name, value)
      if (response.body.kind === 'complete') {
        res.end(response.body.string)
        return
      }
      for await (const chunk of response.body.asyncIterator) res.write(chunk)
      res.end()
    },

    attach(server, isAllowedHost = () => true) {
      const socketServer = createGraphQLWsServer<Record<string, unknown> | undefined>({
        logger,
        maxMessageBytes: MAX_WS_MESSAGE_BYTES,
        server: {
          onConnect: (ctx) => isAuthorized(ctx.connectionParams?.authorization, dashboardToken),
          onSubscribe: (ctx, _id, payload) => {
            const parsed = parseAndValidate(schema, payload.query, limits.validationRules)
            if (parsed.errors) return parsed.errors
            return { schema, document: parsed.document, operationName: payload.operationName, variableValues: payload.variables, contextValue: createContext(clientOf(ctx.extra.request)) }
          },
          onNext: (_ctx, _id, _payload, _args, result: ExecutionResult) =>
            result.errors ? { ...result, errors: result.errors.map((error) => format(error.toJSON(), error)) } : undefined,
          onError: (_ctx, _id, _payload, errors) => errors.map((error) => format(error.toJSON(), error)),
        },
      })
      wsServer = socketServer

      const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
        const path = (req.url ?? '').split('?')[0]
        if (path !== PATH) return rejectUpgrade(socket, 404, 'Not Found')
        if (!isAllowedHost(req.headers.host) || isCrossOrigin(req.headers.origin, req.headers.host)) return rejectUpgrade(socket, 403, 'Forbidden')
        socketServer.handleUpgrade(req, socket, head)
      }
      server.on('upgrade', onUpgrade)
      detach = () => server.off('upgrade', onUpgrade)
    },

    async stop() {
      detach?.()
      await wsServer?.close()
      const isRunning = await started.then(
        () => true,
        () => false,
      )
      if (isRunning) await apollo.stop()
    },
  }
}

function clientOf(req: http.IncomingMessage): OperationClient {
  return { remoteAddress: req.socket?.remoteAddress ?? null, userAgent: req.headers['user-agent'] ?? null }
}

function isJsonContentType(contentType: string | undefined): boolean {
  const type = contentType?.split(';')[0]?.trim().toLowerCase()
  return type === 'application/json' || type === 'application/graphql-response+json'
}

/**
 * The body as text, or null when it is larger than `maxBytes` (announced or actual). Past the
 * bound nothing more is kept; the caller answers 413 and closes the connection.
 */
function readBody(req: http.IncomingMessage, maxBytes: number): Promise<string | null> {
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) return Promise.resolve(null)
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const stop = () => {
      req.off('data', onData).off('end', onEnd).off('error', reject)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= maxBytes) return void chunks.push(chunk)
      stop()
      resolve(null)
    }
    const onEnd = () => {
      stop()
      resolve(Buffer.concat(chunks).toString('utf8'))
    }
    req.on('data', onData).on('end', onEnd).on('error', reject)
  })
}

function toHeaderMap(headers: http.IncomingHttpHeaders): HeaderMap {
  const map = new HeaderMap()
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) map.set(name, Array.isArray(value) ? value.join(', ') : value)
  }
  return map
}

function sendErrors(res: http.ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  const text = JSON.stringify({ errors: [{ message, extensions: { code } }] })
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

function rejectUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
}
