import { Column, Entity, Index, PrimaryColumn } from 'typeorm'
import type { CostStatus, HeaderRewriteRecord, RequestStatus } from '../../records/request-record'
import { int8AsNumber } from './column-types'

/**
 * One exchange through /v1/*, inserted IN_FLIGHT when it starts and completed once.
 * Written only through the store's CaptureStore (columns in tables/requests.table.ts), by upsert on `id`,
 * so a replay cannot duplicate it.
 * Secrets never reach this row: headers are redacted before capture builds the record.
 */
@Entity({ name: 'requests' })
@Index('requests_started_at_idx', ['startedAt', 'id'])
@Index('requests_model_started_at_idx', ['model', 'startedAt'])
@Index('requests_status_idx', ['status'])
@Index('requests_api_key_idx', ['apiKeyFingerprint', 'startedAt'])
@Index('requests_in_flight_run_idx', ['runId'], { where: `"status" = 'IN_FLIGHT'` })
// Trigram and array indexes for body search: TypeORM cannot declare GIN operator classes, so the
// migration creates them and the schema builder is told to leave them alone.
@Index('requests_request_body_trgm_idx', { synchronize: false })
@Index('requests_response_body_trgm_idx', { synchronize: false })
@Index('requests_content_ids_idx', { synchronize: false })
@Index('requests_content_list_idx', ['requestBodyContentListId'])
@Index('requests_uncosted_idx', ['startedAt', 'id'], { where: `"cost_status" IS NULL AND "status" <> 'IN_FLIGHT'` })
export class RequestEntity {
  /** UUIDv7 chosen by the proxy, so rows sort by time (see request-window for how a lookup uses it). */
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'requests_pkey' }) id: string

  @Column('text') status: RequestStatus
  /** The partition key (see partitions.ts), hence in the primary key. */
  @PrimaryColumn({ name: 'started_at', type: 'timestamptz', primaryKeyConstraintName: 'requests_pkey' }) startedAt: Date
  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true }) completedAt: Date | null

  @Column('text') method: string
  @Column('text') path: string
  @Column('text', { nullable: true }) query: string | null
  @Column({ name: 'user_agent', type: 'text', nullable: true }) userAgent: string | null
  @Column('text', { nullable: true }) model: string | null
  @Column({ name: 'routed_model', type: 'text', nullable: true }) routedModel: string | null
  @Column('text') provider: string
  @Column('boolean') stream: boolean
  /** The client asked for JSON and the proxy fetched it upstream as a stream (demotion); `stream` stays false. */
  @Column('boolean', { default: false }) demoted: boolean
  @Column({ name: 'http_status', type: 'int', nullable: true }) httpStatus: number | null
  @Column({ name: 'upstream_request_id', type: 'text', nullable: true }) upstreamRequestId: string | null
  @Column({ name: 'stop_reason', type: 'text', nullable: true }) stopReason: string | null
  @Column('text', { nullable: true }) error: string | null
  @Column({ name: 'error_code', type: 'text', nullable: true }) errorCode: string | null

  /** Milliseconds from start to upstream headers, first body byte, and end. */
  @Column({ name: 'response_headers_ms', type: 'double precision', nullable: true }) responseHeadersMs: number | null
  @Column({ name: 'ttfb_ms', type: 'double precision', nullable: true }) ttfbMs: number | null
  @Column({ name: 'duration_ms', type: 'double precision', nullable: true }) durationMs: number | null

  @Column({ name: 'request_headers', type: 'jsonb' }) requestHeaders: Record<string, string | string[]>
  /**
   * Exact request text; kept as text (not jsonb) so invalid JSON and huge integers survive verbatim.
   * When `requestBodyContentIds` is set, the skeleton whose marked parts are stored in `contents` (see body-layout).
   */
  @Column({ name: 'request_body', type: 'text' }) requestBody: string
  /**
   * The ids in `contents` of the parts cut out of `requestBody`, in order, but those of its list
   * (`requestBodyContentListId`) when it names one (see ListPlacement); null when it is whole.
   */
  @Column({ name: 'request_body_content_ids', type: 'uuid', array: true, nullable: true }) requestBodyContentIds: string[] | null
  @Column({ name: 'request_body_bytes', type: 'int' }) requestBodyBytes: number
  @Column({ name: 'request_body_is_json', type: 'boolean' }) requestBodyIsJson: boolean
  @Column({ name: 'response_headers', type: 'jsonb', nullable: true }) responseHeaders: Record<string, string | string[]> | null
  /** Response JSON text; for streams the Message reconstructed from the SSE. */
  @Column({ name: 'response_body', type: 'text', nullable: true }) responseBody: string | null
  /** Raw SSE of a streamed response; null when `responseSseFromChunks`. */
  @Column({ name: 'response_sse', type: 'text', nullable: true }) responseSse: string | null
  /** The SSE is exactly the response's stream chunks framed (see stream-chunks.table), so it is not stored twice. */
  @Column({ name: 'response_sse_from_chunks', type: 'boolean', default: false }) responseSseFromChunks: boolean
  @Column({ name: 'response_body_bytes', type: 'int', nullable: true }) responseBodyBytes: number | null

  @Column({ name: 'input_tokens', type: 'bigint', nullable: true, transformer: int8AsNumber }) inputTokens: number | null
  @Column({ name: 'output_tokens', type: 'bigint', nullable: true, transformer: int8AsNumber }) outputTokens: number | null
  @Column({ name: 'cache_creation_input_tokens', type: 'bigint', nullable: true, transformer: int8AsNumber }) cacheCreationInputTokens: number | null
  @Column({ name: 'cache_creation_5m_input_tokens', type: 'bigint', nullable: true, transformer: int8AsNumber }) cacheCreation5mInputTokens: number | null
  @Column({ name: 'cache_creation_1h_input_tokens', type: 'bigint', nullable: true, transformer: int8AsNumber }) cacheCreation1hInputTokens: number | null
  @Column({ name: 'cache_read_input_tokens', type: 'bigint', nullable: true, transformer: int8AsNumber }) cacheReadInputTokens: number | null
  @Column({ name: 'thinking_tokens', type: 'bigint', nullable: true, transformer: int8AsNumber }) thinkingTokens: number | null
  @Column({ name: 'web_search_requests', type: 'int', nullable: true }) webSearchRequests: number | null
  @Column({ name: 'web_fetch_requests', type: 'int', nullable: true }) webFetchRequests: number | null
  @Column({ name: 'service_tier', type: 'text', nullable: true }) serviceTier: string | null

  @Column({ name: 'api_key_fingerprint', type: 'text', nullable: true }) apiKeyFingerprint: string | null
  @Column({ name: 'organization_id', type: 'text', nullable: true }) organizationId: string | null
  /** The capture run that recorded it (see CaptureRunEntity); null for records older than runs. */
  @Column({ name: 'run_id', type: 'uuid', nullable: true }) runId: string | null
  /** Region the model ran in when the request chose one (usage.inference_geo). */
  @Column({ name: 'inference_geo', type: 'text', nullable: true }) inferenceGeo: string | null
  /** Exact USD cost (numeric, read back as a decimal string); null when not priced, see `costStatus`. */
  @Column({ name: 'cost_usd', type: 'numeric', nullable: true }) costUsd: string | null
  /** The price-book row the cost was computed with (a shipped row's id or an override's uuid). */
  @Column({ name: 'price_id', type: 'text', nullable: true }) priceId: string | null
  /** PRICED, UNKNOWN_MODEL, NOT_BILLED or NO_USAGE; null until priced. */
  @Column({ name: 'cost_status', type: 'text', nullable: true }) costStatus: CostStatus | null
  /** The header rules that fired and the headers they produced (see HeaderRewriteRecord); null when none fired. */
  @Column({ name: 'header_rewrites', type: 'jsonb', nullable: true }) headerRewrites: HeaderRewriteRecord | null
  /** The wire translation of a routed exchange (see RequestRecord.translation); null when none. */
  @Column('text', { nullable: true }) translation: string | null
  /** The list in `content_lists` holding the ids of the body's parts but its newest messages (see partListOf); null when it names none. */
  @Column({ name: 'request_body_content_list_id', type: 'uuid', nullable: true }) requestBodyContentListId: string | null
  /** In rows stored when lists held a body's first messages alone: where the list's ids go among `requestBodyContentIds`. */
  @Column({ name: 'request_body_content_list_at', type: 'int', nullable: true }) requestBodyContentListAt: number | null
  /** Where `requestBodyContentIds` go among the list's ids; null without a list, and in rows placing it by `requestBodyContentListAt`. */
  @Column({ name: 'request_body_own_ids_at', type: 'int', nullable: true }) requestBodyOwnIdsAt: number | null
}
