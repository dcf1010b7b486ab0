import type { Client } from '@urql/core'
import { ref, shallowRef, type InjectionKey, type Ref, type ShallowRef } from 'vue'
import { connectGraphQL } from './client'

/** localStorage key of the dashboard token. */
export const TOKEN_STORAGE_KEY = 'claudescope.dashboardToken'

export interface DashboardSession {
  /** The current client; replaced when the token changes, so every list re-runs with it. */
  client: ShallowRef<Client>
  /** The server refused the token (or none was given): the token form is shown. */
  needsToken: Ref<boolean>
  /** Stores the token and reconnects with it. */
  setToken(token: string): void
  liveSocket: LiveSocketState
}

/** The WebSocket that carries live updates. */
export interface LiveSocketState {
  isOpen: Readonly<Ref<boolean>>
  /** Times it dropped unexpectedly since the page loaded: each time, live events were lost until it reopened. */
  drops: Readonly<Ref<number>>
}

export const dashboardSessionKey: InjectionKey<DashboardSession> = Symbol('dashboard-session')

export interface DashboardSessionEnvironment {
  location: Pick<Location, 'protocol' | 'host' | 'href'>
  history: Pick<History, 'state' | 'replaceState'>
  storage: Pick<Storage, 'getItem' | 'setItem'>
  /** For tests; see GraphQLClientOptions. */
  fetch?: typeof fetch
  webSocketImpl?: unknown
}

/**
 * The dashboard's connection to its server and the token that opens it. A `?token=` in the address
 * (a link printed for a remote dashboard) is taken once, stored, and removed from the address bar
 * and history so it is not shared by copying the URL; otherwise the stored token is used.
 */
export function createDashboardSession(env: DashboardSessionEnvironment): DashboardSession {
  const needsToken = ref(false)
  const isOpen = ref(false)
  const drops = ref(0)
  const fromUrl = takeTokenFromUrl(env)
  if (fromUrl) env.storage.setItem(TOKEN_STORAGE_KEY, fromUrl)

  const connect = (token: string | null) =>
    connectGraphQL({
      location: env.location,
      token,
      fetch: env.fetch,
      webSocketImpl: env.webSocketImpl,
      onUnauthorized: () => {
        needsToken.value = true
      },
      onSocket: (event) => {
        if (event === 'dropped' && isOpen.value) drops.value++
        isOpen.value = event === 'opened'
      },
    })

  let connection = connect(fromUrl ?? env.storage.getItem(TOKEN_STORAGE_KEY))
  const client = shallowRef(connection.client)
  return {
    client,
    needsToken,
    liveSocket: { isOpen, drops },
    setToken(token) {
      env.storage.setItem(TOKEN_STORAGE_KEY, token)
      connection.close()
      connection = connect(token)
      client.value = connection.client
      needsToken.value = false
    },
  }
}

function takeTokenFromUrl(env: DashboardSessionEnvironment): string | null {
  const url = new URL(env.location.href)
  if (!url.searchParams.has('token')) return null
  const token = url.searchParams.get('token')
  url.searchParams.delete('token')
  env.history.replaceState(env.history.state, '', url.pathname + url.search + url.hash)
  return token || null
}
