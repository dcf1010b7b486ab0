import { onScopeDispose, ref, shallowRef, watch, type Ref, type ShallowRef } from 'vue'
import type { Client } from '@urql/core'
import { useGraphQLClient } from '../graphql/client'

export type ListState = 'idle' | 'loading' | 'done' | 'error'

/** One page of a connection, as every list query selects it. */
export interface ListPage<Item> {
  nodes: readonly Item[]
  pageInfo: { hasNextPage: boolean; endCursor: string | null }
  totalCount: number
}

export interface PagedList<Item> {
  /** In the server's order. Replaced, never mutated, on every change: a shallowRef is enough to track it. */
  items: Readonly<ShallowRef<readonly Item[]>>
  /** `idle`: more pages may follow; `done`: every matching item is loaded. */
  state: Readonly<Ref<ListState>>
  error: Readonly<ShallowRef<Error | null>>
  /** Matching items on the server, loaded or not; null until the first page arrives. */
  totalCount: Readonly<Ref<number | null>>
  /** Fetches the next page. Does nothing while a page is loading or when all are in; after an error it retries. */
  loadMore(): Promise<void>
  /** Starts over from the first page, as a change of filter does. */
  reload(): void
}

/** What a list's own composable tells usePagedList: how to fetch, merge and follow its items. */
export interface PagedListSource<Item, Filter> {
  /** Named in the error when the server answers a page without data. */
  what: string
  /** Fetches the page of `first` items after `after` (null: the first page). */
  fetchPage(client: Client, filter: Filter, first: number, after: string | null): Promise<{ page: ListPage<Item> | null; error?: Error }>
  /** Adds a loaded page to the rows already listed. */
  mergePage(rows: readonly Item[], page: readonly Item[]): readonly Item[]
  /**
   * Subscribes to the list's live changes for `filter`, applying them through `list`; called at
   * every restart, the previous subscription ended first.
   */
  follow(client: Client, filter: Filter, list: LiveListAccess<Item>): { unsubscribe(): void }
}

/** What a live subscription may read and change of the list. */
export interface LiveListAccess<Item> {
  items: ShallowRef<readonly Item[]>
  totalCount: Ref<number | null>
  /** True once every matching item is loaded, so an old one arriving live belongs in the list. */
  isComplete(): boolean
}

/** A paged list plus what the list's own composable needs to fetch outside the paging. */
export interface PagedListInternals<Item, Filter> extends PagedList<Item> {
  live: LiveListAccess<Item>
  /** Runs `fetch` for the current filter and client; resolves null when a restart made its answer stale. */
  whileCurrent<T>(fetch: (client: Client, filter: Filter) => Promise<T>): Promise<T | null>
}

/**
 * The items matching `filter`, a page at a time, kept live by the source's subscription. A change
 * of filter or of client (a new token) starts over; a page that arrives for an older filter or
 * client is dropped.
 */
export function usePagedList<Item, Filter>(filter: Ref<Filter>, source: PagedListSource<Item, Filter>, options: { pageSize?: number } = {}): PagedListInternals<Item, Filter> {
  const client = useGraphQLClient()
  const pageSize = options.pageSize ?? 50
  const items = shallowRef<readonly Item[]>([])
  const state = ref<ListState>('idle')
  const error = shallowRef<Error | null>(null)
  const totalCount = ref<number | null>(null)
  let endCursor: string | null = null
  /** Bumped by every restart, so answers to an older filter or client are recognised as stale. */
  let generation = 0
  let subscription: { unsubscribe(): void } | null = null
  const live: LiveListAccess<Item> = { items, totalCount, isComplete: () => state.value === 'done' }

  async function whileCurrent<T>(fetch: (client: Client, filter: Filter) => Promise<T>): Promise<T | null> {
    const started = generation
    const result = await fetch(client.value, filter.value)
    return started === generation ? result : null
  }

  async function loadMore(): Promise<void> {
    if (state.value === 'loading' || state.value === 'done') return
    state.value = 'loading'
    const result = await whileCurrent((current, value) => source.fetchPage(current, value, pageSize, endCursor))
    if (!result) return
    if (!result.page) {
      error.value = result.error ?? new Error(`The server returned no data for the ${source.what}`)
      state.value = 'error'
      return
    }
    items.value = source.mergePage(items.value, result.page.nodes)
    totalCount.value = result.page.totalCount
    endCursor = result.page.pageInfo.endCursor
    error.value = null
    state.value = result.page.pageInfo.hasNextPage ? 'idle' : 'done'
  }

  function restart(): void {
    generation++
    items.value = []
    state.value = 'idle'
    error.value = null
    totalCount.value = null
    endCursor = null
    subscription?.unsubscribe()
    subscription = source.follow(client.value, filter.value, live)
    void loadMore()
  }

  watch(filter, restart, { deep: true })
  watch(client, restart)
  restart()
  onScopeDispose(() => subscription?.unsubscribe())

  return { items, state, error, totalCount, loadMore, reload: restart, live, whileCurrent }
}
