import type { TypedDocumentNode } from '@graphql-typed-document-node/core'
import { print, type DocumentNode } from 'graphql'
import { createClient, type Client } from 'graphql-ws'
import WebSocket from 'ws'
import { Changes, DEFAULT_WAIT_MS } from './wait'

/**
 * An operation as the tests write it: a typed document (`graphql(...)` from
 * client/src/graphql/graphql.ts, result and variables inferred from schema.graphql), or a plain
 * string for what the schema cannot type (deliberately invalid or generated queries).
 */
export type Operation<Result, Variables> = TypedDocumentNode<Result, Variables> | string

const operationText = (operation: DocumentNode | string) => (typeof operation === 'string' ? operation : print(operation))

/** POSTs one GraphQL operation to `<baseUrl>/graphql`; throws on HTTP or GraphQL errors. */
export async function queryGraphQL<Result = Record<string, unknown>, Variables = Record<string, unknown>>(
  baseUrl: string,
  operation: Operation<Result, Variables>,
  variables?: Variables,
  token?: string,
): Promise<Result> {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: operationText(operation), variables }),
  })
  const json = (await res.json()) as { data?: Result; errors?: { message: string }[] }
  if (!res.ok || json.errors?.length) throw new Error(`GraphQL ${res.status}: ${JSON.stringify(json.errors ?? json)}`)
  return json.data as Result
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

export function subscribeGraphQL<Result = Record<string, unknown>, Variables = Record<string, unknown>>(
  baseUrl: string,
  operation: Operation<Result, Variables>,
  variables?: Variables,
  token?: string,
): Subscription<Result> {
  const client: Client = createClient({
    url: baseUrl.replace(/^http/, 'ws') + '/graphql',
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : undefined,
    retryAttempts: 0,
  })
  const results: Result[] = []
  const changes = new Changes()
  let failure: unknown
  let resolveCompleted!: () => void
  const completed = new Promise<void>((r) => (resolveCompleted = r))
  client.subscribe<Result>(
    { query: operationText(operation), variables: variables as Record<string, unknown> | undefined },
    {
      next: (value) => {
        if (value.errors?.length) failure = new Error(JSON.stringify(value.errors))
        else results.push(value.data as Result)
        changes.changed()
      },
      error: (err) => {
        failure = err
        changes.changed()
      },
      complete: () => resolveCompleted(),
    },
  )
  return {
    results,
    completed,
    waitFor(count, timeoutMs = DEFAULT_WAIT_MS) {
      return changes.until(
        () => {
          if (failure) throw asError(failure)
          return results.length >= count && results
        },
        `${count} subscription results`,
        timeoutMs,
      )
    },
    close: () => client.dispose() as Promise<void>,
  }
}

/** What a subscription failed with, as an Error: a socket closed by the server says its close code and reason. */
function asError(failure: unknown): Error {
  if (failure instanceof Error) return failure
  const close = failure as { code?: unknown; reason?: unknown }
  if (typeof close.code === 'number') return new Error(`the socket closed with ${close.code}${close.reason ? `: ${String(close.reason)}` : ''}`)
  return new Error(JSON.stringify(failure))
}
