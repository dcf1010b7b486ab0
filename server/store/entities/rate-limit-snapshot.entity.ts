import { Column, Entity, Index, PrimaryColumn } from 'typeorm'
import { int8AsNumber } from './column-types'

const count = (name: string) => ({ name, type: 'bigint' as const, nullable: true, transformer: int8AsNumber })
const instant = (name: string) => ({ name, type: 'timestamptz' as const, nullable: true })
const word = (name: string) => ({ name, type: 'text' as const, nullable: true })
const fraction = (name: string) => ({ name, type: 'double precision' as const, nullable: true })

/**
 * What one response's rate-limit headers said: a point of the time series kept per organization
 * and API-key fingerprint. Written by the capture writer with its request, in the same
 * transaction, at most once per request (a replay adds nothing); deleted with its request.
 * Every parsed field is null when its header was absent or malformed; `headers` keeps them all
 * verbatim.
 */
@Entity({ name: 'rate_limit_snapshots' })
// On expressions (see the migration), which TypeORM cannot declare: it leaves this index alone.
@Index('rate_limit_snapshots_series_idx', { synchronize: false })
@Index('rate_limit_snapshots_organization_idx', ['organizationId', 'observedAt'])
export class RateLimitSnapshotEntity {
  @PrimaryColumn({ name: 'request_id', type: 'uuid' }) requestId: string
  @Column({ name: 'observed_at', type: 'timestamptz' }) observedAt: Date
  @Column(word('organization_id')) organizationId: string | null
  @Column(word('api_key_fingerprint')) apiKeyFingerprint: string | null
  @Column(word('model')) model: string | null
  @Column({ name: 'http_status', type: 'int' }) httpStatus: number

  @Column(count('requests_limit')) requestsLimit: number | null
  @Column(count('requests_remaining')) requestsRemaining: number | null
  @Column(instant('requests_reset')) requestsReset: Date | null
  @Column(count('tokens_limit')) tokensLimit: number | null
  @Column(count('tokens_remaining')) tokensRemaining: number | null
  @Column(instant('tokens_reset')) tokensReset: Date | null
  @Column(count('input_tokens_limit')) inputTokensLimit: number | null
  @Column(count('input_tokens_remaining')) inputTokensRemaining: number | null
  @Column(instant('input_tokens_reset')) inputTokensReset: Date | null
  @Column(count('output_tokens_limit')) outputTokensLimit: number | null
  @Column(count('output_tokens_remaining')) outputTokensRemaining: number | null
  @Column(instant('output_tokens_reset')) outputTokensReset: Date | null

  @Column(word('unified_status')) unifiedStatus: string | null
  @Column(instant('unified_reset')) unifiedReset: Date | null
  @Column(count('unified_remaining')) unifiedRemaining: number | null
  @Column(word('unified_representative_claim')) unifiedRepresentativeClaim: string | null
  @Column(fraction('unified_5h_utilization')) unified5hUtilization: number | null
  @Column(instant('unified_5h_reset')) unified5hReset: Date | null
  @Column(word('unified_5h_status')) unified5hStatus: string | null
  @Column(fraction('unified_7d_utilization')) unified7dUtilization: number | null
  @Column(instant('unified_7d_reset')) unified7dReset: Date | null
  @Column(word('unified_7d_status')) unified7dStatus: string | null
  @Column(word('unified_fallback')) unifiedFallback: string | null
  @Column(fraction('unified_fallback_percentage')) unifiedFallbackPercentage: number | null
  @Column(word('unified_overage_status')) unifiedOverageStatus: string | null
  @Column(word('unified_overage_reason')) unifiedOverageReason: string | null
  @Column(word('unified_overage_disabled_reason')) unifiedOverageDisabledReason: string | null
  @Column(fraction('unified_overage_utilization')) unifiedOverageUtilization: number | null
  @Column(instant('unified_overage_reset')) unifiedOverageReset: Date | null
  @Column(fraction('retry_after_seconds')) retryAfterSeconds: number | null
  /** Every rate-limit header and retry-after, verbatim. */
  @Column({ type: 'jsonb' }) headers: Record<string, string>
}
