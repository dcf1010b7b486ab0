import { In, type DataSource, type Repository, type SelectQueryBuilder } from 'typeorm'
import type { RequestRecord, RequestStatus, StreamChunkRecord } from '../records/request-record'
import { isRecordId } from '../records/record-id'
import { decodeCursor, encodeCursor } from '../graphql/connection'
import { checkPageSize } from '../graphql/page-size'
import type { PageInfo } from '../graphql/connection'
import { RequestEntity } from '../store/entities/request.entity'
import { StreamChunkEntity } from '../store/entities/stream-chunk.entity'
import { isSearch, requestFilterSql, searchedPartsStatement, type RequestFilterValues } from './request-filter'
import { readBodySources } from '../store/body-sources'
import { deleteRequests, type RequestKey } from '../store/queries/delete-requests'
import { readByIds, startedAtWithin } from '../store/queries/request-window'
import { BODY_PROPERTIES, SUMMARY_PROPERTIES, toRequestBodies, toRequestRecord, toRequestSummary, type RequestBodies, type RequestSummary } from '../store/tables/requests.table'
import { toStreamChunkRecords } from '../store/tables/stream-chunks.table'

/** A page of the request list, newest first; `totalCount` is counted only when asked for. */
export interface RequestPage {
  nodes: RequestSummary[]
  edges: { cursor: string; node: RequestSummary }[]
  pageInfo: PageInfo
  /** The filter the page was read with, so the connection can count on demand. */
  filter: RequestFilterValues | null
  /** What the filter's search found among body parts, which counting the page's matches reuses; null without a search. */
  foundParts: FoundParts | null
}

/** The body parts a search found (see requestFilterSql): their ids, or null when more than are listed. */
export interface FoundParts {
  ids: readonly string[] | null
}

/** started_at at full (microsecond) precision, so a cursor lands exactly between two rows. */
const STARTED_AT_TEXT = `to_char("r"."started_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
const STARTED_AT_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/

type RequestCursor = readonly [startedAt: string, id: string]
const isRequestCursor = (parts: readonly string[]): parts is RequestCursor =>
  parts.length === 2 && isStartedAtText(parts[0]!) && isRecordId(parts[1]!)

/**
 * True for a STARTED_AT_TEXT value naming an instant that exists, from year 1 on (PostgreSQL knows
 * no year 0): a well-shaped text such as month 13 or February 30th would otherwise reach the
 * database's cast and fail there. Date rolls impossible fields over, so the round trip catches them.
 */
function isStartedAtText(text: string): boolean {
  if (!STARTED_AT_PATTERN.test(text) || text.startsWith('0000')) return false
  const withMilliseconds = `${text.slice(0, 23)}Z`
  const date = new Date(withMilliseconds)
  return !Number.isNaN(date.getTime()) && date.toISOString() === withMilliseconds
}

/**
 * Body parts matching a search past which its matches are taken to be many without counting them:
 * each part is in at least one request, and Claude Code resends every message on each later turn.
 * Counting up to the sparse limit first cost more than the page (1.3 s of 1.4 on the embedded
 * database, for a word in 2 % of texts).
 */
const DENSE_SEARCH_PARTS = 1_000

/** Requests one statement of `delete` removes at most. */
const DELETE_BATCH_SIZE = 500
export interface RequestsServiceOptions {
  /**
   * Requests counted one by one at most: past it `totalCount` is the planner's estimate (never
   * below this bound) and says so, unless an exact count is asked for. Counting reads one index
   * entry (and often a row) per match, so a full count of a million rows took far longer than a
   * page; up to this bound it costs about what reading a few hundred pages' keys does.
   * @default 10_000
   */
  exactCountLimit?: number
  /**
   * Body parts a search names to the requests' query at most (see requestFilterSql): past it, a
   * text that common is looked up in each request's parts as the newest requests are read.
   * @default 10_000
   */
  searchPartsLimit?: number
  /**
   * Matches of a search, at most, for which a page reads them all through the body indexes and
   * sorts them; above it, the page walks the newest requests until it is full. The walk reads about
   * `page size x requests / matches` rows and the sort reads every match, so they cost the same near
   * the square root of 50 x a million requests, about 7,000.
   * @default 5_000
   */
  sparseSearchLimit?: number
}

/** A list's size: exact, or estimated past the exact-count limit. */
export interface RequestCount {
  count: number
  isEstimate: boolean
}

/**
 * Reads recorded requests. Lists page by keyset on (started_at DESC, id DESC), which the
 * `requests_started_at_idx` index serves, so a deep page costs what the first one does.
 */
export class RequestsService {
  readonly #requests: Repository<RequestEntity>
  readonly #chunks: Repository<StreamChunkEntity>

  readonly #exactCountLimit: number
  readonly #searchPartsLimit: number
  readonly #sparseSearchLimit: number

  constructor(
    private readonly dataSource: DataSource,
    options: RequestsServiceOptions = {},
  ) {
    this.#requests = dataSource.getRepository(RequestEntity)
    this.#chunks = dataSource.getRepository(StreamChunkEntity)
    this.#exactCountLimit = options.exactCountLimit ?? 10_000
    this.#searchPartsLimit = options.searchPartsLimit ?? 10_000
    this.#sparseSearchLimit = options.sparseSearchLimit ?? 5_000
  }

  /** One page: `first` (0 to 200) requests after the `after` cursor, bodies left out. */
  async list(filter: RequestFilterValues | null | undefined, first: number, after?: string | null): Promise<RequestPage> {
    const size = checkPageSize(first)
    const filtered = await this.#filtered(filter)
    // A sparse search is read through the body indexes and sorted: an order the started_at index
    // cannot give keeps the planner from walking the whole table newest first for a few matches.
    const searchedParts = filtered.foundParts?.ids ?? null
    const sparse = searchedParts !== null && searchedParts.length < DENSE_SEARCH_PARTS && (await this.#countUpTo(filtered.query, this.#sparseSearchLimit)) <= this.#sparseSearchLimit
    const query = filtered.query
      .select(SUMMARY_PROPERTIES.map((property) => `r.${property}`))
      .addSelect(STARTED_AT_TEXT, 'cursor_started_at')
      .orderBy(sparse ? `r.startedAt + interval '0'` : 'r.startedAt', 'DESC')
      .addOrderBy('r.id', 'DESC')
      .limit(size + 1)
    if (after) {
      const [startedAt, id] = decodeCursor(after, isRequestCursor)
      // The row comparison says where the page starts; the bound on startedAt alone lets the planner skip newer weeks' partitions.
      query.andWhere('(r.startedAt, r.id) < (CAST(:afterStartedAt AS timestamptz), CAST(:afterId AS uuid)) AND r.startedAt <= CAST(:afterStartedAt AS timestamptz)', {
        afterStartedAt: startedAt,
        afterId: id,
      })
    }
    const { entities, raw } = await query.getRawAndEntities<{ r_id: string; cursor_started_at: string }>()
    const startedAtById = new Map(raw.map((row) => [row.r_id, row.cursor_started_at]))
    const edges = entities.slice(0, size).map((row) => ({
      cursor: encodeCursor([startedAtById.get(row.id)!, row.id]),
      node: toRequestSummary(row),
    }))
    return {
      nodes: edges.map((edge) => edge.node),
      edges,
      pageInfo: {
        hasNextPage: entities.length > size,
        hasPreviousPage: Boolean(after),
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
      filter: filter ?? null,
      foundParts: filtered.foundParts,
    }
  }

  /** Requests matching the filter, all pages together, counted whatever their number. `foundParts`: a page's (see RequestPage). */
  async count(filter: RequestFilterValues | null | undefined, foundParts: FoundParts | null = null): Promise<number> {
    return (await this.#filtered(filter, foundParts)).query.getCount()
  }

  /**
   * Requests matching the filter: counted up to the exact-count limit (reading at most one match
   * past it), the planner's estimate beyond (at least the limit plus one), or counted whatever
   * their number when `exact`. `foundParts`: those of a page read with the same filter, so the
   * search does not look its parts up again.
   */
  async countBounded(filter: RequestFilterValues | null | undefined, exact = false, foundParts: FoundParts | null = null): Promise<RequestCount> {
    if (exact) return { count: await this.count(filter, foundParts), isEstimate: false }
    const limit = this.#exactCountLimit
    const { query } = await this.#filtered(filter, foundParts)
    const bounded = await this.#countUpTo(query, limit)
    if (bounded <= limit) return { count: bounded, isEstimate: false }
    const [unbounded, unboundedParams] = query.select('1').getQueryAndParameters()
    const [explained] = (await this.dataSource.query(`EXPLAIN (FORMAT JSON) ${unbounded}`, unboundedParams)) as { 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }[]
    return { count: Math.max(limit + 1, Math.round(explained!['QUERY PLAN'][0].Plan['Plan Rows'])), isEstimate: true }
  }

  /** The whole record, bodies included; null when there is no such request (or the id is not a UUID). */
  async get(id: string): Promise<RequestRecord | null> {
    if (!isRecordId(id)) return null
    const [row] = await readByIds([id], (ids, window) => this.#requests.findBy({ id: In(ids), ...startedAtWithin(window) }), (row) => row.id)
    return row ? toRequestRecord(row, await readBodySources(this.dataSource, [row])) : null
  }

  /** The stored status only: cheap, for deciding whether a request can still stream. */
  async status(id: string): Promise<RequestStatus | null> {
    if (!isRecordId(id)) return null
    const [row] = await readByIds([id], (ids, window) => this.#requests.find({ select: { id: true, status: true }, where: { id: In(ids), ...startedAtWithin(window) } }), (row) => row.id)
    return row?.status ?? null
  }

  /** Stored chunks of one request in arrival order (empty until the request has been written). */
  async chunks(id: string): Promise<StreamChunkRecord[]> {
    return (await this.chunksOf([id]))[0]!
  }

  /** Stored chunks of several requests at once, in the order of `ids`. */
  async chunksOf(ids: readonly string[]): Promise<StreamChunkRecord[][]> {
    const valid = ids.filter((id) => isRecordId(id))
    const rows = await readByIds(valid, (ids, window) => this.#chunks.findBy({ requestId: In(ids), ...startedAtWithin(window) }), (row) => row.requestId)
    const byRequest = new Map(rows.map((row) => [row.requestId, toStreamChunkRecords(row)]))
    return ids.map((id) => byRequest.get(id) ?? [])
  }

  /** Bodies of several requests at once, in the order of `ids`; null where a request is gone. */
  async bodiesOf(ids: readonly string[]): Promise<(RequestBodies | null)[]> {
    const valid = ids.filter((id) => isRecordId(id))
    const rows = await readByIds(
      valid,
      (ids, window) => this.#requests.createQueryBuilder('r').select(BODY_PROPERTIES.map((property) => `r.${property}`)).where({ id: In(ids), ...startedAtWithin(window) }).getMany(),
      (row) => row.id,
    )
    const sources = await readBodySources(this.dataSource, rows)
    const byId = new Map(rows.map((row) => [row.id, row]))
    return ids.map((id) => {
      const row = byId.get(id)
      return row ? toRequestBodies(row, sources) : null
    })
  }

  /**
   * Deletes the requests matching the filter that are no longer in flight (a request still running
   * would be written back by its completion), with their stream chunks, a batch at a time so no
   * statement holds the table for long. Body parts shared with other requests stay; parts no
   * request uses any more go with retention's next prune. Returns how many requests went.
   */
  async delete(filter: RequestFilterValues): Promise<number> {
    let deleted = 0
    for (;;) {
      const rows = await (await this.#filtered(filter)).query
        .select('r.id', 'id')
        .addSelect('r.startedAt', 'startedAt')
        .andWhere(`r.status <> 'IN_FLIGHT'`)
        .orderBy('r.startedAt', 'ASC')
        .addOrderBy('r.id', 'ASC')
        .limit(DELETE_BATCH_SIZE)
        .getRawMany<RequestKey>()
      if (rows.length > 0) deleted += await deleteRequests(this.dataSource, rows)
      if (rows.length < DELETE_BATCH_SIZE) return deleted
    }
  }

  /** Rows `query` matches, counted up to `limit` plus one (reading no further). */
  async #countUpTo(query: SelectQueryBuilder<RequestEntity>, limit: number): Promise<number> {
    const [sql, params] = query.clone().select('1').limit(limit + 1).getQueryAndParameters()
    const [counted] = (await this.dataSource.query(`SELECT count(*)::int AS n FROM (${sql}) AS bounded`, params)) as { n: number }[]
    return counted!.n
  }

  /**
   * The requests matching the filter; a search first finds the body parts holding its text (see
   * requestFilterSql), unless `found` says what it found already. `foundParts`: null without a search.
   */
  async #filtered(filter: RequestFilterValues | null | undefined, found: FoundParts | null = null): Promise<{ query: SelectQueryBuilder<RequestEntity>; foundParts: FoundParts | null }> {
    const query = this.#requests.createQueryBuilder('r')
    const foundParts = isSearch(filter?.search) ? (found ?? { ids: await this.#searchedParts(filter.search) }) : null
    for (const condition of requestFilterSql(filter, foundParts?.ids ?? null)) query.andWhere(condition.sql, condition.params)
    return { query, foundParts }
  }

  /** Ids of the body parts containing `search`, or null when there are more than the limit. */
  async #searchedParts(search: string): Promise<string[] | null> {
    const { text, values } = searchedPartsStatement(search, this.#searchPartsLimit)
    const rows = (await this.dataSource.query(text, values)) as Array<{ id: string }>
    return rows.length > this.#searchPartsLimit ? null : rows.map((row) => row.id)
  }
}
