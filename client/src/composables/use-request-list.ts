import { onScopeDispose, ref, shallowRef, watch, type Ref, type ShallowRef } from 'vue'
import { useGraphQLClient } from '../graphql/client'
import { REQUEST_EVENTS, REQUESTS_PAGE, type RequestFilter, type RequestSummary } from '../graphql/documents'

export type ListState = 'idle' | 'loading' | 'done' | 'error'

export interface RequestList {
  /** Newest first. Replaced, never mutated, on every change: a shallowRef is enough to track it. */
  items: Readonly<ShallowRef<readonly RequestSummary[]>>
  /** `idle`: more pages may follow; `done`: every matching request is loaded. */
  state: Readonly<Ref<ListState>>
  error: Readonly<ShallowRef<Error | null>>
  /** Matching requests on the server, loaded or not; null until the first page arrives. */
  totalCount: Readonly<Ref<number | null>>
  /** Fetches the next page. Does nothing while a page is loading or when all are in; after an error it retries. */
  loadMore(): Promise<void>
  /**
   * Fetches the newest page again and merges it in, after live events may have been lost; returns
   * how many of its request events the list had missed (a start or an end each).
   */
  catchUp(): Promise<number>
  /** Starts over from the first page, as a change of filter does. */
  reload(): void
}

export interface RequestListOptions {
  /** Rows per page (the server caps it at 200). @default 50 */
  pageSize?: number
}

/**
 * The requests matching `filter`, a page at a time, kept live: requests that start are prepended
 * and requests that end are updated in place by id. A change of filter or of client (a new token)
 * starts over. Rows older than the loaded pages are left for `loadMore` to bring, in order.
 */
export function useRequestList(filter: Ref<RequestFilter>, options: RequestListOptions = {}): RequestList {
  const client = useGraphQLClient()
  const pageSize = options.pageSize ?? 50
  const items = shallowRef<readonly RequestSummary[]>([])
  const state = ref<ListState>('idle')
  const error = shallowRef<Error | null>(null)
  const totalCount = ref<number | null>(null)
  let endCursor: string | null = null
  /** Bumped by every restart, so a page that arrives for an older filter or client is dropped. */
  let generation = 0
  let live: { unsubscribe(): void } | null = null

  async function loadMore(): Promise<void> {
    if (state.value === 'loading' || state.value === 'done') return
    const started = generation
    state.value = 'loading'
    const variables = { filter: filter.value, first: pageSize, after: endCursor }
    const result = await client.value.query(REQUESTS_PAGE, variables, { requestPolicy: 'network-only' }).toPromise()
    if (started !== generation) return
    if (!result.data) {
      error.value = result.error ?? new Error('The server returned no data for the request list')
      state.value = 'error'
      return
    }
    const page = result.data.requests
    items.value = mergePage(items.value, page.nodes)
    totalCount.value = page.totalCount
    endCursor = page.pageInfo.endCursor
    error.value = null
    state.value = page.pageInfo.hasNextPage ? 'idle' : 'done'
  }

  async function catchUp(): Promise<number> {
    const started = generation
    const result = await client.value.query(REQUESTS_PAGE, { filter: filter.value, first: pageSize, after: null }, { requestPolicy: 'network-only' }).toPromise()
    if (started !== generation || !result.data) return 0
    const { nodes, totalCount: total } = result.data.requests
    const known = new Map(items.value.map((row) => [row.id, row.status]))
    let missed = 0
    for (const node of nodes) {
      const status = known.get(node.id)
      if (status === undefined) missed += node.status === 'IN_FLIGHT' ? 1 : 2
      else if (status !== node.status && node.status !== 'IN_FLIGHT') missed++
    }
    // Rows older than the loaded pages are left to loadMore, as live rows are.
    const oldestLoaded = items.value.at(-1)
    const fresh = state.value === 'done' || !oldestLoaded ? nodes : nodes.filter((node) => !isNewer(oldestLoaded, node))
    items.value = mergePage(items.value, fresh)
    totalCount.value = total
    return missed
  }

  /**
   * Status is checked here rather than by the server: a request's status changes over its life, and
   * a row already listed must still receive its final status when that no longer matches.
   */
  function follow(): void {
    live?.unsubscribe()
    const { statuses, ...serverFilter } = filter.value
    live = client.value.subscription(REQUEST_EVENTS, { filter: serverFilter }).subscribe((result) => {
      const request = result.data?.requestEvents.request
      if (!request) return
      const at = items.value.findIndex((row) => row.id === request.id)
      if (at !== -1) {
        const next = items.value.slice()
        next[at] = furtherAlong(next[at]!, request)
        items.value = next
      } else if ((!statuses?.length || statuses.includes(request.status)) && !isBeyondLoadedPages(request)) {
        items.value = insertInOrder(items.value, request)
        if (totalCount.value !== null) totalCount.value++
      }
    })
  }

  function isBeyondLoadedPages(request: RequestSummary): boolean {
    const oldest = items.value.at(-1)
    return state.value !== 'done' && oldest !== undefined && isNewer(oldest, request)
  }

  function restart(): void {
    generation++
    items.value = []
    state.value = 'idle'
    error.value = null
    totalCount.value = null
    endCursor = null
    follow()
    void loadMore()
  }

  watch(filter, restart, { deep: true })
  watch(client, restart)
  restart()
  onScopeDispose(() => live?.unsubscribe())

  return { items, state, error, totalCount, loadMore, catchUp, reload: restart }
}

/** Newest first, as the server orders them: by start time, then by id (UUIDv7, time-ordered). */
function isNewer(a: RequestSummary, b: RequestSummary): boolean {
  return a.startedAt === b.startedAt ? a.id > b.id : a.startedAt > b.startedAt
}

/**
 * The later of two versions of one request. A stored page can lag behind the live events (the
 * record is written after its event is published), so a finished row never goes back to IN_FLIGHT.
 */
function furtherAlong(current: RequestSummary, incoming: RequestSummary): RequestSummary {
  return incoming.status === 'IN_FLIGHT' && current.status !== 'IN_FLIGHT' ? current : incoming
}

function insertInOrder(rows: readonly RequestSummary[], request: RequestSummary): RequestSummary[] {
  const at = rows.findIndex((row) => isNewer(request, row))
  const next = rows.slice()
  next.splice(at === -1 ? rows.length : at, 0, request)
  return next
}

/** Adds a page; rows that arrived live meanwhile are kept once, in their later version. */
function mergePage(rows: readonly RequestSummary[], page: readonly RequestSummary[]): RequestSummary[] {
  const index = new Map(rows.map((row, i) => [row.id, i]))
  const merged = rows.slice()
  for (const node of page) {
    const at = index.get(node.id)
    if (at === undefined) merged.push(node)
    else merged[at] = furtherAlong(node, merged[at]!)
  }
  // Nearly always sorted already (live rows are newer than any page), which sort handles in one pass.
  return merged.sort((a, b) => (isNewer(a, b) ? -1 : isNewer(b, a) ? 1 : 0))
}
