import type { Client } from '@urql/core'
import type { Ref } from 'vue'
import { REQUEST_EVENTS, REQUESTS_PAGE, type RequestFilter, type RequestSummary } from '../graphql/documents'
import { usePagedList, type PagedList } from './use-paged-list'

export type { ListState } from './use-paged-list'

/** Newest first. */
export interface RequestList extends PagedList<RequestSummary> {
  /**
   * Fetches the newest page again and merges it in, after live events may have been lost; returns
   * how many of its request events the list had missed (a start or an end each).
   */
  catchUp(): Promise<number>
}

export interface RequestListOptions {
  /** Rows per page (the server caps it at 200). @default 50 */
  pageSize?: number
}

/**
 * The requests matching `filter`, a page at a time, kept live: requests that start are prepended
 * and requests that end are updated in place by id. Rows older than the loaded pages are left for
 * `loadMore` to bring, in order.
 */
export function useRequestList(filter: Ref<RequestFilter>, options: RequestListOptions = {}): RequestList {
  const pageSize = options.pageSize ?? 50
  const list = usePagedList(
    filter,
    {
      what: 'request list',
      fetchPage: fetchRequestsPage,
      mergePage,
      /**
       * Status is checked here rather than by the server: a request's status changes over its life,
       * and a row already listed must still receive its final status when that no longer matches.
       */
      follow(client, value, live) {
        const { statuses, ...serverFilter } = value
        return client.subscription(REQUEST_EVENTS, { filter: serverFilter }).subscribe((result) => {
          const request = result.data?.requestEvents.request
          if (!request) return
          const rows = live.items.value
          const at = rows.findIndex((row) => row.id === request.id)
          if (at !== -1) {
            const next = rows.slice()
            next[at] = furtherAlong(next[at]!, request)
            live.items.value = next
          } else if ((!statuses?.length || statuses.includes(request.status)) && !isBeyond(rows, live.isComplete(), request)) {
            live.items.value = insertInOrder(rows, request)
            if (live.totalCount.value !== null) live.totalCount.value++
          }
        })
      },
    },
    { pageSize },
  )

  async function catchUp(): Promise<number> {
    const result = await list.whileCurrent((client, value) => fetchRequestsPage(client, value, pageSize, null))
    if (!result?.page) return 0
    const { nodes, totalCount } = result.page
    const rows = list.live.items.value
    const known = new Map(rows.map((row) => [row.id, row.status]))
    let missed = 0
    for (const node of nodes) {
      const status = known.get(node.id)
      if (status === undefined) missed += node.status === 'IN_FLIGHT' ? 1 : 2
      else if (status !== node.status && node.status !== 'IN_FLIGHT') missed++
    }
    // Rows older than the loaded pages are left to loadMore, as live rows are.
    const fresh = nodes.filter((node) => !isBeyond(rows, list.live.isComplete(), node))
    list.live.items.value = mergePage(rows, fresh)
    list.live.totalCount.value = totalCount
    return missed
  }

  const { items, state, error, totalCount, loadMore, reload } = list
  return { items, state, error, totalCount, loadMore, catchUp, reload }
}

async function fetchRequestsPage(client: Client, filter: RequestFilter, first: number, after: string | null) {
  const result = await client.query(REQUESTS_PAGE, { filter, first, after }, { requestPolicy: 'network-only' }).toPromise()
  return { page: result.data?.requests ?? null, error: result.error }
}

/** True when `request` is older than every loaded row while more pages remain: loadMore brings it, in order. */
function isBeyond(rows: readonly RequestSummary[], complete: boolean, request: RequestSummary): boolean {
  const oldest = rows.at(-1)
  return !complete && oldest !== undefined && isNewer(oldest, request)
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
