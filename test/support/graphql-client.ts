import { createClient, type Client } from 'graphql-ws'
import WebSocket from 'ws'

/** POSTs one GraphQL operation to `<baseUrl>/graphql`; throws on HTTP or GraphQL errors. */
export async function queryGraphQL<T = Record<string, unknown>>(baseUrl: string, query: string, variables?: Record<string, unknown>, token?: string): Promise<T> {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  })
  const json = (await res.json()) as { data?: T; errors?: { message: string }[] }
  if (!res.ok || json.errors?.length) throw new Error(`GraphQL ${res.status}: ${JSON.stringify(json.errors ?? json)}`)
  return json.data as T
}

/** A graphql-ws subscription collecting its results; `next(n)` waits until n results have arrived. */
export interface Subscription<T> {
  results: T[]
  /** Resolves when at least `count` results have arrived (or rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<T[]>
  /** Resolves when the server completes the subscription. */
  completed: Promise<void>
  close(): Promise<void>
}

export function subscribeGraphQL<T = Record<string, unknown>>(baseUrl: string, query: string, variables?: Record<string, unknown>, token?: string): Subscription<T> {
  const client: Client = createClient({
    url: baseUrl.replace(/^http/, 'ws') + '/graphql',
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : undefined,
    retryAttempts: 0,
  })
  const results: T[] = []
  const waiters = new Set<() => void>()
  let failure: unknown
  let resolveCompleted!: () => void
  const completed = new Promise<void>((r) => (resolveCompleted = r))
  client.subscribe<T>(
    { query, variables },
    {
      next: (value) => {
        if (value.errors?.length) failure = new Error(JSON.stringify(value.errors))
        else results.push(value.data as T)
        for (const w of waiters) w()
      },
      error: (err) => {
        failure = err
        for (const w of waiters) w()
      },
      complete: () => resolveCompleted(),
    },
  )
  return {
    results,
    completed,
    waitFor(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (failure) return done(() => reject(failure instanceof Error ? failure : new Error(JSON.stringify(failure))))
          if (results.length >= count) done(() => resolve(results))
        }
        const timer = setTimeout(() => done(() => reject(new Error(`Timed out waiting for ${count} subscription results (got ${results.length})`))), timeoutMs)
        const done = (settle: () => void) => {
          clearTimeout(timer)
          waiters.delete(check)
          settle()
        }
        waiters.add(check)
        check()
      })
    },
    close: () => client.dispose() as Promise<void>,
  }
}
