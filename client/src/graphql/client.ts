import { Client, cacheExchange, fetchExchange, mapExchange, subscriptionExchange } from '@urql/core'
import { createClient as createWsClient } from 'graphql-ws'
import { inject, type Ref } from 'vue'

/** GraphQL over HTTP and graphql-ws share this path on the dashboard's own origin. */
export const GRAPHQL_PATH = '/graphql'

/** graphql-ws close code the server uses when connectionParams.authorization is missing or wrong. */
const WS_FORBIDDEN = 4403

/** The longest pause between WebSocket reconnection attempts, so a restarted server is found soon. */
const MAX_RETRY_WAIT_MS = 15_000

export interface GraphQLClientOptions {
  /** Where the dashboard was loaded from: GraphQL is on the same origin, ws: or wss: to match. */
  location: Pick<Location, 'protocol' | 'host'>
  /** Dashboard token, sent as `authorization: Bearer …`; null sends none (loopback needs none). */
  token: string | null
  /** The server refused the token: HTTP 401 or a WebSocket closed with 4403. */
  onUnauthorized(): void
  /**
   * The live WebSocket opened, or closed other than on purpose (server gone, network lost): live
   * events sent meanwhile are lost, and subscriptions resume from now once it reopens.
   */
  onSocket?(event: 'opened' | 'dropped'): void
  /** For tests. @default globalThis.fetch */
  fetch?: typeof fetch
  /** For tests. @default globalThis.WebSocket */
  webSocketImpl?: unknown
}

export interface GraphQLConnection {
  client: Client
  /** Closes the WebSocket; the client must not be used afterwards. */
  close(): void
}

/**
 * An urql client for Claudescope's API: queries over HTTP, subscriptions over one lazily opened
 * graphql-ws socket that reconnects across server restarts (but not after a refused token).
 */
export function connectGraphQL(options: GraphQLClientOptions): GraphQLConnection {
  const authorization = options.token ? `Bearer ${options.token}` : null
  const wsProtocol = options.location.protocol === 'https:' ? 'wss:' : 'ws:'
  const ws = createWsClient({
    url: `${wsProtocol}//${options.location.host}${GRAPHQL_PATH}`,
    webSocketImpl: options.webSocketImpl,
    connectionParams: authorization ? { authorization } : {},
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: (event) => !isForbidden(event),
    retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(MAX_RETRY_WAIT_MS, 500 * 2 ** retries) * (0.5 + Math.random() / 2))),
    on: {
      connected: () => options.onSocket?.('opened'),
      closed: (event) => {
        if (isForbidden(event)) options.onUnauthorized()
        else if (!isNormalClosure(event)) options.onSocket?.('dropped')
      },
    },
  })
  const client = new Client({
    url: GRAPHQL_PATH,
    fetch: options.fetch,
    fetchOptions: authorization ? { headers: { authorization } } : {},
    exchanges: [
      cacheExchange,
      mapExchange({
        onError(error) {
          if ((error.response as Response | undefined)?.status === 401) options.onUnauthorized()
        },
      }),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink) }),
        }),
      }),
    ],
  })
  return { client, close: () => void ws.dispose() }
}

/** Code 1000: the client closed an idle socket (no subscription left) or was disposed; nothing was lost. */
function isNormalClosure(event: unknown): boolean {
  return typeof event === 'object' && event !== null && (event as { code?: unknown }).code === 1000
}

function isForbidden(event: unknown): boolean {
  return typeof event === 'object' && event !== null && (event as { code?: unknown }).code === WS_FORBIDDEN
}

/**
 * The client the app provided. @urql/vue keeps it under `$urql` as a Ref, which is replaced when
 * the token changes, so composables that read it through this ref follow the new client.
 */
export function useGraphQLClient(): Ref<Client> {
  const client = inject<Ref<Client> | null>('$urql', null)
  if (!client) throw new Error('No GraphQL client provided: install @urql/vue with the session client (see main.ts)')
  return client
}
