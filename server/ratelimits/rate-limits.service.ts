import { In, type DataSource, type Repository } from 'typeorm'
import type { RateLimitSnapshotRecord } from '../records/rate-limit-snapshot'
import type { UsageRecord } from '../records/request-record'
import { RateLimitSnapshotEntity } from '../store/entities/rate-limit-snapshot.entity'
import { toRateLimitSnapshotRecord, RATE_LIMIT_SNAPSHOTS_TABLE } from '../store/tables/rate-limit-snapshots.table'
import { CONVERSATION_REQUESTS_TABLE } from '../store/tables/conversations.table'
import { REQUEST_COLUMNS, REQUESTS_TABLE } from '../store/tables/requests.table'
import { attributeQuota, type ConsumingRequest, type QuotaAttribution } from './quota-attribution'
import type { QuotaWindowSource } from './rate-limit.types'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The utilization column of each window. */
const UTILIZATION_COLUMN = { '5h': 'unified_5h_utilization', '7d': 'unified_7d_utilization' } as const

/**
 * How long before a window's start a request may have started and still count in it (by its
 * completion): requests are found through the started_at index, and a long stream can run this long.
 */
const LONGEST_REQUEST_MS = 60 * 60 * 1000

const USAGE_COLUMNS = REQUEST_COLUMNS.filter((column) => column.inUsage)

/** A series' names as `rate_limit_snapshots_series_idx` holds them: an absent one as ''. */
const SERIES = `coalesce(organization_id, ''), coalesce(api_key_fingerprint, '')`

/** The request id of each series' newest snapshot, by a skip scan of the series index. */
const LATEST_OF_EACH_SERIES = `
  WITH RECURSIVE series (organization, api_key) AS (
    (SELECT ${SERIES} FROM ${RATE_LIMIT_SNAPSHOTS_TABLE} ORDER BY 1, 2 LIMIT 1)
    UNION ALL
    SELECT next.organization, next.api_key FROM series, LATERAL (
      SELECT ${SERIES} FROM ${RATE_LIMIT_SNAPSHOTS_TABLE}
      WHERE (${SERIES}) > (series.organization, series.api_key) ORDER BY 1, 2 LIMIT 1
    ) AS next (organization, api_key)
  )
  SELECT newest.request_id FROM series, LATERAL (
    SELECT request_id FROM ${RATE_LIMIT_SNAPSHOTS_TABLE}
    WHERE coalesce(organization_id, '') = series.organization AND coalesce(api_key_fingerprint, '') = series.api_key
    ORDER BY observed_at DESC LIMIT 1
  ) AS newest`

/**
 * Reads the rate-limit time series: the latest snapshot of each organization and key, the
 * snapshots of given requests, and a window's attribution to the requests that consumed it.
 */
export class RateLimitsService {
  readonly #snapshots: Repository<RateLimitSnapshotEntity>

  constructor(private readonly dataSource: DataSource) {
    this.#snapshots = dataSource.getRepository(RateLimitSnapshotEntity)
  }

  /**
   * The latest snapshot of every organization and API-key fingerprint, newest first. The series are
   * walked in the series index, one lookup from each to the next and one for its newest point, so
   * the cost follows the number of series, not of snapshots (one per request).
   */
  async latest(): Promise<RateLimitSnapshotRecord[]> {
    const ids = (await this.dataSource.query(LATEST_OF_EACH_SERIES)) as { request_id: string }[]
    if (ids.length === 0) return []
    const rows = await this.#snapshots.findBy({ requestId: In(ids.map((row) => row.request_id)) })
    return rows.map(toRateLimitSnapshotRecord).sort((a, b) => b.observedAt.getTime() - a.observedAt.getTime())
  }

  /** The snapshots of several requests at once, in the order of `ids`; null where a response carried none. */
  async snapshotsOf(ids: readonly string[]): Promise<(RateLimitSnapshotRecord | null)[]> {
    const valid = ids.filter((id) => UUID.test(id))
    const rows = valid.length === 0 ? [] : await this.#snapshots.findBy({ requestId: In(valid) })
    const byId = new Map(rows.map((row) => [row.requestId, toRateLimitSnapshotRecord(row)]))
    return ids.map((id) => byId.get(id) ?? null)
  }

  /**
   * Who consumed the window up to its latest snapshot: the snapshots of the same organization
   * (accounts rotate OAuth tokens, so keys of one account share its quota), or of the same key
   * when the organization is unknown, and the requests of that scope completed in the window, each
   * with its conversation.
   * Null when the window's start is unknown (no reset reported).
   */
  async attribution(window: QuotaWindowSource): Promise<QuotaAttribution | null> {
    if (window.startedAt === null) return null
    const { latest } = window
    const scope =
      latest.organizationId !== null
        ? { sql: 'organization_id = $1', value: latest.organizationId }
        : { sql: 'organization_id IS NULL AND api_key_fingerprint IS NOT DISTINCT FROM $1', value: latest.apiKeyFingerprint }
    const utilization = UTILIZATION_COLUMN[window.name]
    const points = (await this.dataSource.query(
      `SELECT request_id, observed_at, ${utilization} AS utilization FROM ${RATE_LIMIT_SNAPSHOTS_TABLE}
       WHERE ${scope.sql} AND observed_at >= $2 AND observed_at <= $3 AND ${utilization} IS NOT NULL ORDER BY observed_at`,
      [scope.value, window.startedAt, latest.observedAt],
    )) as Array<{ request_id: string; observed_at: Date; utilization: number }>
    const rows = (await this.dataSource.query(
      `SELECT id, completed_at, model, api_key_fingerprint, ${USAGE_COLUMNS.map((column) => column.name).join(', ')},
         (SELECT conversation_id FROM ${CONVERSATION_REQUESTS_TABLE} cr WHERE cr.request_id = ${REQUESTS_TABLE}.id) AS conversation_id
       FROM ${REQUESTS_TABLE} WHERE ${scope.sql} AND started_at >= $2 AND completed_at > $3`,
      [scope.value, new Date(window.startedAt.getTime() - LONGEST_REQUEST_MS), window.startedAt],
    )) as Array<Record<string, unknown>>
    return attributeQuota(
      window.startedAt,
      points.map((point) => ({ requestId: point.request_id, observedAt: point.observed_at, utilization: Number(point.utilization) })),
      rows.map(toConsumingRequest),
    )
  }
}

function toConsumingRequest(row: Record<string, unknown>): ConsumingRequest {
  const usage: Record<string, unknown> = {}
  for (const column of USAGE_COLUMNS) {
    const value = row[column.name]
    usage[column.property] = value === null || typeof value !== 'string' || column.sqlType === 'text' ? value : Number(value)
  }
  return {
    id: row.id as string,
    completedAt: row.completed_at as Date,
    model: row.model as string | null,
    apiKeyFingerprint: row.api_key_fingerprint as string | null,
    conversationId: row.conversation_id as string | null,
    usage: Object.values(usage).some((value) => value !== null) ? (usage as unknown as UsageRecord) : null,
  }
}
