import type { RequestRecord, RequestStatus } from '../records/request-record'
import { searchKeysOfSearch } from '../store/contents/search-keys'
import { CONTENT_LISTS_TABLE, CONTENTS_TABLE } from '../store/tables/contents.table'
import { CONVERSATION_REQUESTS_TABLE } from '../store/tables/conversations.table'

/**
 * A RequestFilter's conditions. Every condition given must hold; null, undefined and empty lists
 * mean "no condition". The same filter drives stored queries (`requestFilterSql`) and live
 * subscriptions (`matchesRequestFilter`); the two are kept side by side and tested to agree.
 */
export interface RequestFilterValues {
  /** Started at or after (inclusive). */
  from?: Date | null
  /** Started before (exclusive). */
  to?: Date | null
  models?: string[] | null
  statuses?: RequestStatus[] | null
  httpStatuses?: number[] | null
  stream?: boolean | null
  apiKeyFingerprint?: string | null
  /** Exact path without the query string. */
  path?: string | null
  /** Case-insensitive substring of the request or response body. */
  search?: string | null
  minDurationMs?: number | null
  /** Where the request went: `anthropic`, or a provider named in the routing file (e.g. `openai`), any of these. */
  providers?: string[] | null
  /** Requests of this conversation (known once stored: live events never match it). */
  conversationId?: string | null
}

/** One SQL condition over the `requests` table aliased `r`, with its named parameters. */
export interface SqlCondition {
  sql: string
  params: Record<string, unknown>
}

/**
 * What is known of a request when a live event is matched. A field left undefined is unknown
 * (a chunk of a request whose start this subscriber did not see carries only a few fields), and
 * a condition on an unknown field does not hold.
 */
export type RequestFacts = Partial<RequestRecord>

const given = <T>(list: T[] | null | undefined): list is T[] => Array.isArray(list) && list.length > 0
const isSet = <T>(value: T | null | undefined): value is T => value !== null && value !== undefined
/** True when the filter searches bodies (an empty text is no condition). */
export const isSearch = (search: string | null | undefined): search is string => isSet(search) && search !== ''

/** Escapes LIKE's wildcards and its escape character, so a search is always literal text. */
export const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`)

/** A `search` as the LIKE pattern every query of it uses. */
const searchPattern = (search: string) => `%${escapeLike(search)}%`

/**
 * The statement finding the body parts that contain `search`: at most `limit` + 1 ids, the one past
 * the limit saying there are more. The parts holding every search key of the search are read
 * through their index (see search-keys), then checked with ILIKE. A search too short to have keys
 * only scans parts, to the limit.
 */
export function searchedPartsStatement(search: string, limit: number): { text: string; values: unknown[] } {
  const keys = searchKeysOfSearch(search)
  return keys.length > 0
    ? { text: `SELECT c.id FROM ${CONTENTS_TABLE} c WHERE c.search_keys @> $1::smallint[] AND c.text ILIKE $2 ESCAPE '\\' LIMIT $3`, values: [keys, searchPattern(search), limit + 1] }
    : { text: `SELECT c.id FROM ${CONTENTS_TABLE} c WHERE c.text ILIKE $1 ESCAPE '\\' LIMIT $2`, values: [searchPattern(search), limit + 1] }
}

/**
 * The filter as SQL conditions for a TypeORM query builder on `requests r`; parameters only, never spliced text.
 *
 * A body is searched in its skeleton, its response and each of its parts (see body-layout), so a
 * text that spans the edge of a part (a message's first bytes and the bracket before it) is not
 * found. `searchedParts` are the ids of the parts that contain the search, found beforehand
 * (searchedPartsStatement). They reach the statement behind a subquery, so the planner does not
 * estimate from them: given a literal list of a thousand ids, it judged that nearly every request
 * used one and read the whole table (23 s at a million requests) where the indexes (skeleton
 * and response trigrams, part ids, part lists' ids) answer in milliseconds. Most of a request's parts
 * are named by its list (see partListOf): the lists holding a part are found first, by their own
 * index, and then the requests naming them. Whether to read those indexes and sort
 * the matches, or walk the newest requests until a page is full, the caller decides from a bounded
 * count (see RequestsService.list). Null, when more parts match than a limit, looks the parts up
 * per request, which suits a text that common.
 */
export function requestFilterSql(filter: RequestFilterValues | null | undefined, searchedParts: readonly string[] | null = null): SqlCondition[] {
  if (!filter) return []
  const conditions: SqlCondition[] = []
  if (isSet(filter.from)) conditions.push({ sql: 'r.startedAt >= :filterFrom', params: { filterFrom: filter.from } })
  if (isSet(filter.to)) conditions.push({ sql: 'r.startedAt < :filterTo', params: { filterTo: filter.to } })
  if (given(filter.models)) conditions.push({ sql: 'r.model IN (:...filterModels)', params: { filterModels: filter.models } })
  if (given(filter.statuses)) conditions.push({ sql: 'r.status IN (:...filterStatuses)', params: { filterStatuses: filter.statuses } })
  if (given(filter.httpStatuses)) {
    conditions.push({ sql: 'r.httpStatus IN (:...filterHttpStatuses)', params: { filterHttpStatuses: filter.httpStatuses } })
  }
  if (isSet(filter.stream)) conditions.push({ sql: 'r.stream = :filterStream', params: { filterStream: filter.stream } })
  if (isSet(filter.apiKeyFingerprint)) {
    conditions.push({ sql: 'r.apiKeyFingerprint = :filterApiKey', params: { filterApiKey: filter.apiKeyFingerprint } })
  }
  if (isSet(filter.path)) conditions.push({ sql: 'r.path = :filterPath', params: { filterPath: filter.path } })
  if (isSearch(filter.search)) {
    const inParts = searchedParts === null
      ? `EXISTS (SELECT 1 FROM ${CONTENTS_TABLE} c WHERE c.id = ANY(coalesce((SELECT l.ids FROM ${CONTENT_LISTS_TABLE} l WHERE l.id = r.requestBodyContentListId), '{}') || r.requestBodyContentIds) AND c.text ILIKE :filterSearch ESCAPE '\\')`
      : `(r.requestBodyContentIds && (SELECT CAST(:filterSearchedParts AS uuid[])) OR r.requestBodyContentListId = ANY(ARRAY(SELECT l.id FROM ${CONTENT_LISTS_TABLE} l WHERE l.ids && CAST(:filterSearchedParts AS uuid[]))))`
    conditions.push({
      sql: `(r.requestBody ILIKE :filterSearch ESCAPE '\\' OR r.responseBody ILIKE :filterSearch ESCAPE '\\' OR ${inParts})`,
      params: { filterSearch: searchPattern(filter.search), ...(searchedParts === null ? {} : { filterSearchedParts: searchedParts }) },
    })
  }
  if (isSet(filter.minDurationMs)) conditions.push({ sql: 'r.durationMs >= :filterMinDuration', params: { filterMinDuration: filter.minDurationMs } })
  if (given(filter.providers)) conditions.push({ sql: 'r.provider IN (:...filterProviders)', params: { filterProviders: filter.providers } })
  if (isSet(filter.conversationId)) {
    // Not a uuid: no conversation has that id, so no request matches (rather than a cast error).
    const id = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(filter.conversationId) ? filter.conversationId : '00000000-0000-0000-0000-000000000000'
    conditions.push({ sql: `EXISTS (SELECT 1 FROM ${CONVERSATION_REQUESTS_TABLE} cr WHERE cr.request_id = r.id AND cr.conversation_id = CAST(:filterConversation AS uuid))`, params: { filterConversation: id } })
  }
  return conditions
}

/** The same filter as a predicate over what is known of a request (see RequestFacts). */
export function matchesRequestFilter(filter: RequestFilterValues | null | undefined, request: RequestFacts): boolean {
  if (!filter) return true
  const { startedAt, model, status, httpStatus, durationMs } = request
  if (isSet(filter.from) && !(isSet(startedAt) && startedAt >= filter.from)) return false
  if (isSet(filter.to) && !(isSet(startedAt) && startedAt < filter.to)) return false
  if (given(filter.models) && !(isSet(model) && filter.models.includes(model))) return false
  if (given(filter.statuses) && !(isSet(status) && filter.statuses.includes(status))) return false
  if (given(filter.httpStatuses) && !(isSet(httpStatus) && filter.httpStatuses.includes(httpStatus))) return false
  if (isSet(filter.stream) && request.stream !== filter.stream) return false
  if (isSet(filter.apiKeyFingerprint) && request.apiKeyFingerprint !== filter.apiKeyFingerprint) return false
  if (isSet(filter.path) && request.path !== filter.path) return false
  if (isSearch(filter.search) && !bodiesContain(request, filter.search)) return false
  if (isSet(filter.minDurationMs) && !(isSet(durationMs) && durationMs >= filter.minDurationMs)) return false
  if (given(filter.providers) && !(isSet(request.provider) && filter.providers.includes(request.provider))) return false
  if (isSet(filter.conversationId)) return false
  return true
}

function bodiesContain(request: RequestFacts, search: string): boolean {
  const needle = search.toLowerCase()
  return [request.requestBody, request.responseBody].some((body) => isSet(body) && body.toLowerCase().includes(needle))
}
