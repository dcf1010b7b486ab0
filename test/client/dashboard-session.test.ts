import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'
import { REQUEST_EVENTS, REQUESTS_PAGE } from '../../client/src/graphql/documents'
import { createDashboardSession, TOKEN_STORAGE_KEY, type DashboardSessionEnvironment } from '../../client/src/graphql/dashboard-session'

function environment(href: string, stored: Record<string, string> = {}) {
  const storage = new Map(Object.entries(stored))
  const url = new URL(href)
  const fetch = vi.fn(async (_input: RequestInfo | URL, _init?: RequestInit) =>
    new Response(JSON.stringify({ data: { requests: { nodes: [], pageInfo: { hasNextPage: false, endCursor: null }, totalCount: 0 } } }), {
      headers: { 'content-type': 'application/json' },
    }),
  )
  const env = {
    location: { protocol: url.protocol, host: url.host, href },
    history: { state: null, replaceState: vi.fn() },
    storage: { getItem: (key: string) => storage.get(key) ?? null, setItem: (key: string, value: string) => void storage.set(key, value) },
    fetch: fetch as unknown as typeof globalThis.fetch,
    webSocketImpl: WebSocket,
  } satisfies DashboardSessionEnvironment
  return { env, storage, fetch }
}

const authorizationSent = (fetch: ReturnType<typeof environment>['fetch']) => new Headers(fetch.mock.calls.at(-1)?.[1]?.headers).get('authorization')

const runQuery = (session: ReturnType<typeof createDashboardSession>) =>
  session.client.value.query(REQUESTS_PAGE, { filter: {}, first: 1, after: null }).toPromise()

describe('dashboard session', () => {
  const servers: WebSocketServer[] = []
  afterEach(async () => {
    for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve))
  })

  it('takes ?token= from the address once, stores it, strips it from the address bar and sends it as a Bearer token', async () => {
    const { env, storage, fetch } = environment('http://dash.example:3001/?token=s3cret&view=all#top')
    const session = createDashboardSession(env)

    expect(storage.get(TOKEN_STORAGE_KEY)).toBe('s3cret')
    expect(env.history.replaceState).toHaveBeenCalledWith(null, '', '/?view=all#top')
    await runQuery(session)
    expect(authorizationSent(fetch)).toBe('Bearer s3cret')
  })

  it('uses the stored token when the address has none, and sends no authorization without one', async () => {
    const stored = environment('http://127.0.0.1:3001/', { [TOKEN_STORAGE_KEY]: 'kept' })
    await runQuery(createDashboardSession(stored.env))
    expect(authorizationSent(stored.fetch)).toBe('Bearer kept')
    expect(stored.env.history.replaceState).not.toHaveBeenCalled()

    const none = environment('http://127.0.0.1:3001/')
    await runQuery(createDashboardSession(none.env))
    expect(authorizationSent(none.fetch)).toBeNull()
  })

  it('asks for a token when the server answers 401, and sends the new token once it is given', async () => {
    const { env, fetch, storage } = environment('http://127.0.0.1:3001/')
    fetch.mockResolvedValueOnce(
      new Response(JSON.stringify({ errors: [{ message: 'Missing or wrong dashboard token', extensions: { code: 'UNAUTHENTICATED' } }] }), {
        status: 401,
        headers: { 'content-type': 'application/json' },
      }),
    )
    const session = createDashboardSession(env)
    const refused = await runQuery(session)
    expect(refused.error).toBeDefined()
    expect(session.needsToken.value).toBe(true)

    const before = session.client.value
    session.setToken('fresh')
    expect(session.needsToken.value).toBe(false)
    expect(session.client.value).not.toBe(before)
    expect(storage.get(TOKEN_STORAGE_KEY)).toBe('fresh')
    await runQuery(session)
    expect(authorizationSent(fetch)).toBe('Bearer fresh')
  })

  it('sends the token as connectionParams.authorization and asks for another when the socket closes with 4403', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    servers.push(server)
    await once(server, 'listening')
    const initPayloads: unknown[] = []
    server.on('connection', (socket) => {
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as { type: string; payload?: unknown }
        if (message.type === 'connection_init') {
          initPayloads.push(message.payload)
          socket.close(4403, 'Forbidden')
        }
      })
    })
    const { port } = server.address() as AddressInfo
    const { env } = environment(`http://127.0.0.1:${port}/`, { [TOKEN_STORAGE_KEY]: 'wrong' })
    const session = createDashboardSession(env)

    const subscription = session.client.value.subscription(REQUEST_EVENTS, { filter: {} }).subscribe(() => undefined)
    await vi.waitFor(() => expect(session.needsToken.value).toBe(true))
    expect(initPayloads).toEqual([{ authorization: 'Bearer wrong' }])
    subscription.unsubscribe()
  })
})
