import type { RateLimitSnapshotRecord } from '../../records/rate-limit-snapshot'
import type { RateLimitSnapshotEntity } from '../entities/rate-limit-snapshot.entity'
import type { ColumnDescription, SqlType } from './column'

export const RATE_LIMIT_SNAPSHOTS_TABLE = 'rate_limit_snapshots'

type SnapshotField = keyof RateLimitSnapshotRecord

/** Column name, SQL type and record field of every column, in the migration's order. */
const COLUMNS: ReadonlyArray<readonly [name: string, sqlType: SqlType, property: SnapshotField]> = [
  ['request_id', 'uuid', 'requestId'],
  ['observed_at', 'timestamp with time zone', 'observedAt'],
  ['organization_id', 'text', 'organizationId'],
  ['api_key_fingerprint', 'text', 'apiKeyFingerprint'],
  ['model', 'text', 'model'],
  ['http_status', 'integer', 'httpStatus'],
  ['requests_limit', 'bigint', 'requestsLimit'],
  ['requests_remaining', 'bigint', 'requestsRemaining'],
  ['requests_reset', 'timestamp with time zone', 'requestsReset'],
  ['tokens_limit', 'bigint', 'tokensLimit'],
  ['tokens_remaining', 'bigint', 'tokensRemaining'],
  ['tokens_reset', 'timestamp with time zone', 'tokensReset'],
  ['input_tokens_limit', 'bigint', 'inputTokensLimit'],
  ['input_tokens_remaining', 'bigint', 'inputTokensRemaining'],
  ['input_tokens_reset', 'timestamp with time zone', 'inputTokensReset'],
  ['output_tokens_limit', 'bigint', 'outputTokensLimit'],
  ['output_tokens_remaining', 'bigint', 'outputTokensRemaining'],
  ['output_tokens_reset', 'timestamp with time zone', 'outputTokensReset'],
  ['unified_status', 'text', 'unifiedStatus'],
  ['unified_reset', 'timestamp with time zone', 'unifiedReset'],
  ['unified_remaining', 'bigint', 'unifiedRemaining'],
  ['unified_representative_claim', 'text', 'unifiedRepresentativeClaim'],
  ['unified_5h_utilization', 'double precision', 'unified5hUtilization'],
  ['unified_5h_reset', 'timestamp with time zone', 'unified5hReset'],
  ['unified_5h_status', 'text', 'unified5hStatus'],
  ['unified_7d_utilization', 'double precision', 'unified7dUtilization'],
  ['unified_7d_reset', 'timestamp with time zone', 'unified7dReset'],
  ['unified_7d_status', 'text', 'unified7dStatus'],
  ['unified_fallback', 'text', 'unifiedFallback'],
  ['unified_fallback_percentage', 'double precision', 'unifiedFallbackPercentage'],
  ['unified_overage_status', 'text', 'unifiedOverageStatus'],
  ['unified_overage_reason', 'text', 'unifiedOverageReason'],
  ['unified_overage_disabled_reason', 'text', 'unifiedOverageDisabledReason'],
  ['unified_overage_utilization', 'double precision', 'unifiedOverageUtilization'],
  ['unified_overage_reset', 'timestamp with time zone', 'unifiedOverageReset'],
  ['retry_after_seconds', 'double precision', 'retryAfterSeconds'],
  ['headers', 'jsonb', 'headers'],
]

/** One `rate_limit_snapshots` row per response that carried rate-limit headers, written from its record's snapshot. */
export const RATE_LIMIT_SNAPSHOT_COLUMNS: ReadonlyArray<ColumnDescription<RateLimitSnapshotRecord>> = COLUMNS.map(([name, sqlType, property]) => ({
  name,
  sqlType,
  property,
  bind: sqlType === 'jsonb' ? (snapshot) => JSON.stringify(snapshot[property]) : (snapshot) => snapshot[property],
}))

/** A row read through its entity, as the record it was written from. */
export function toRateLimitSnapshotRecord(row: RateLimitSnapshotEntity): RateLimitSnapshotRecord {
  const values = row as unknown as Record<string, unknown>
  return Object.fromEntries(COLUMNS.map(([, , property]) => [property, values[property]])) as unknown as RateLimitSnapshotRecord
}
