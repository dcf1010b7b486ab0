import type http from 'node:http'
import type { Duplex } from 'node:stream'
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws'
import { WebSocketServer, type WebSocket } from 'ws'
import type { Logger } from '../logger'

/** What each graphql-ws hook finds in `ctx.extra`: the socket and the upgrade request it came from. */
export interface SocketExtra {
  socket: WebSocket
  request: http.IncomingMessage
}

export interface GraphQLWsOptions<P extends Record<string, unknown> | undefined> {
  /** The protocol hooks (authentication, subscribe, result formatting), as graphql-ws's `makeServer` takes them. */
  server: ServerOptions<P, SocketExtra>
  logger: Logger
  /** Largest message accepted (bytes); a larger frame closes the socket with 1009 (message too big). */
  maxMessageBytes: number
  /** How often each socket is pinged; one that has not answered the previous ping by then is cut. @default 12 000 ms */
  keepAliveMs?: number
}

export interface GraphQLWsServer {
  /** Completes a WebSocket upgrade already checked by the caller (path, host, origin) and serves graphql-ws on it. */
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void
  /** Closes every socket with 1001 (going away) and stops accepting upgrades. */
  close(): Promise<void>
}

/** WebSocket close code 1001: the server is shutting down. */
const GOING_AWAY = 1001

/**
 * graphql-ws (the graphql-transport-ws protocol) over `ws` sockets. graphql-ws's own `useServer`
 * glue writes every socket error to console.error, and a client causes those at will (an oversized
 * frame, a reset connection): here they are logged at debug level, since a protocol error a client
 * makes is not ours. Only a failure inside our own message handling is logged as an error.
 */
export function createGraphQLWsServer<P extends Record<string, unknown> | undefined>(options: GraphQLWsOptions<P>): GraphQLWsServer {
  const { logger, keepAliveMs = 12_000 } = options
  const protocol = makeServer<P, SocketExtra>(options.server)
  const sockets = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes, handleProtocols })

  const serve = (socket: WebSocket, request: http.IncomingMessage): void => {
    // ws has already closed the socket (1009 for an oversized frame, 1002 for a malformed one) when it emits.
    socket.on('error', (err) => logger.debug({ err }, 'graphql-ws socket error caused by the client'))
    const stopKeepAlive = keepAlive(socket, keepAliveMs)
    const closed = protocol.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve()
            socket.send(data, (err) => (err ? reject(err) : resolve()))
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', (data) => {
            handle(String(data)).catch((err: unknown) => {
              logger.error({ err }, 'graphql-ws failed to handle a message')
              socket.close(CloseCode.InternalServerError, 'Internal server error')
            })
          }),
      },
      { socket, request },
    )
    socket.once('close', (code, reason) => {
      stopKeepAlive()
      closed(code, reason.toString()).catch((err: unknown) => logger.error({ err }, 'graphql-ws failed to close a connection'))
    })
  }

  return {
    handleUpgrade(req, socket, head) {
      sockets.handleUpgrade(req, socket, head, (ws) => serve(ws, req))
    },
    close() {
      for (const client of sockets.clients) client.close(GOING_AWAY, 'Going away')
      return new Promise<void>((resolve) => sockets.close(() => resolve()))
    },
  }
}

/** Pings every `intervalMs`; a socket that has not answered the previous ping by the next one is terminated. Returns the stop. */
function keepAlive(socket: WebSocket, intervalMs: number): () => void {
  if (!(intervalMs > 0 && Number.isFinite(intervalMs))) return () => undefined
  let isAnswered = true
  socket.on('pong', () => (isAnswered = true))
  const timer = setInterval(() => {
    if (socket.readyState !== socket.OPEN) return
    if (!isAnswered) return void socket.terminate()
    isAnswered = false
    socket.ping()
  }, intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}
