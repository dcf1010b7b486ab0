import type { RequestRecord, UsageRecord } from '../../records/request-record'
import { assembleBody } from '../contents/body-layout'
import { storedPartIds, type ListPlacement } from '../contents/part-list'
import { storedBodyOf } from '../contents/stored-body'
import type { BodySources } from '../body-sources'
import type { RequestEntity } from '../entities/request.entity'
import type { ColumnDescription, SqlType } from './column'

export const REQUESTS_TABLE = 'requests'

/** The body fields a summary leaves out: they can be megabytes each, and most views never show them. */
const BODY_FIELDS = ['requestBody', 'responseBody', 'responseSse'] as const
type BodyField = (typeof BODY_FIELDS)[number]
export type RequestBodies = Pick<RequestRecord, BodyField>

/** A record without its bodies, as a list reads it. */
export type RequestSummary = Omit<RequestRecord, BodyField>

/**
 * What one `requests` row is written from: the record, and whether its stream's SSE is stored as
 * its chunks (see `framedChunks`) rather than again in `response_sse`.
 */
export interface RequestRow {
  record: RequestRecord
  responseSseFromChunks: boolean
}

export interface RequestColumn extends ColumnDescription<RequestRow> {
  /**
   * The value in the start's row is final (the request body among them): a completion leaves the
   * column alone, so the body is not compressed and stored a second time.
   */
  finalAtStart: boolean
  /** A field of the record's `usage`, which reads back as null when all its columns are. */
  inUsage: boolean
  /** A body column, left out of summaries. */
  isBody: boolean
  /** Read back as the record field `property` (not so for how a body is laid out). */
  inRecord: boolean
}

type RecordField = Exclude<keyof RequestRecord, 'usage'>

const AT_START = { finalAtStart: true }

/** A column holding the record field `property`; `bind` when the parameter is not the value itself. */
function field(name: string, sqlType: SqlType, property: RecordField, options: { finalAtStart?: boolean; bind?: (row: RequestRow) => unknown } = {}): RequestColumn {
  return {
    name,
    sqlType,
    property,
    bind: options.bind ?? ((row) => row.record[property]),
    finalAtStart: options.finalAtStart ?? false,
    inUsage: false,
    isBody: (BODY_FIELDS as readonly string[]).includes(property),
    inRecord: true,
  }
}

/** A column saying how a body is stored, with no record field of its own: the entity property reads it back. */
function storage(name: string, sqlType: SqlType, property: keyof RequestEntity, bind: (row: RequestRow) => unknown, options: { finalAtStart: boolean }): RequestColumn {
  return { name, sqlType, property, bind, finalAtStart: options.finalAtStart, inUsage: false, isBody: true, inRecord: false }
}

/** A column holding a field of the record's `usage`. */
function usage(name: string, sqlType: SqlType, property: keyof UsageRecord): RequestColumn {
  return { name, sqlType, property, bind: (row) => row.record.usage?.[property] ?? null, finalAtStart: false, inUsage: true, isBody: false, inRecord: true }
}

/** jsonb takes JSON text. */
const asJson = (value: unknown) => (value === null ? null : JSON.stringify(value))

/** The `requests` row of one RequestRecord, in the migrations' column order. */
export const REQUEST_COLUMNS: readonly RequestColumn[] = [
  field('id', 'uuid', 'id', AT_START),
  field('status', 'text', 'status'),
  field('started_at', 'timestamp with time zone', 'startedAt', AT_START),
  field('completed_at', 'timestamp with time zone', 'completedAt'),
  field('method', 'text', 'method', AT_START),
  field('path', 'text', 'path', AT_START),
  field('query', 'text', 'query', AT_START),
  field('user_agent', 'text', 'userAgent', AT_START),
  field('model', 'text', 'model', AT_START),
  field('routed_model', 'text', 'routedModel'),
  field('provider', 'text', 'provider', AT_START),
  field('stream', 'boolean', 'stream', AT_START),
  // Absent in records spooled before demotion existed.
  field('demoted', 'boolean', 'demoted', { finalAtStart: true, bind: (row) => row.record.demoted ?? false }),
  field('http_status', 'integer', 'httpStatus'),
  field('upstream_request_id', 'text', 'upstreamRequestId'),
  field('stop_reason', 'text', 'stopReason'),
  field('error', 'text', 'error'),
  field('error_code', 'text', 'errorCode'),
  field('response_headers_ms', 'double precision', 'responseHeadersMs'),
  field('ttfb_ms', 'double precision', 'ttfbMs'),
  field('duration_ms', 'double precision', 'durationMs'),
  field('request_headers', 'jsonb', 'requestHeaders', { finalAtStart: true, bind: (row) => asJson(row.record.requestHeaders) }),
  // The body whole, or its skeleton with the parts stored once each in `contents` (see body-layout).
  field('request_body', 'text', 'requestBody', { finalAtStart: true, bind: (row) => storedBodyOf(row.record).text }),
  storage('request_body_content_ids', 'uuid[]', 'requestBodyContentIds', (row) => storedBodyOf(row.record).ownIds, AT_START),
  field('request_body_bytes', 'integer', 'requestBodyBytes', AT_START),
  field('request_body_is_json', 'boolean', 'requestBodyIsJson', AT_START),
  field('response_headers', 'jsonb', 'responseHeaders', { bind: (row) => asJson(row.record.responseHeaders) }),
  field('response_body', 'text', 'responseBody'),
  field('response_sse', 'text', 'responseSse', { bind: (row) => (row.responseSseFromChunks ? null : row.record.responseSse) }),
  storage('response_sse_from_chunks', 'boolean', 'responseSseFromChunks', (row) => row.responseSseFromChunks, { finalAtStart: false }),
  field('response_body_bytes', 'integer', 'responseBodyBytes'),
  usage('input_tokens', 'bigint', 'inputTokens'),
  usage('output_tokens', 'bigint', 'outputTokens'),
  usage('cache_creation_input_tokens', 'bigint', 'cacheCreationInputTokens'),
  usage('cache_creation_5m_input_tokens', 'bigint', 'cacheCreation5mInputTokens'),
  usage('cache_creation_1h_input_tokens', 'bigint', 'cacheCreation1hInputTokens'),
  usage('cache_read_input_tokens', 'bigint', 'cacheReadInputTokens'),
  usage('thinking_tokens', 'bigint', 'thinkingTokens'),
  usage('web_search_requests', 'integer', 'webSearchRequests'),
  usage('web_fetch_requests', 'integer', 'webFetchRequests'),
  usage('service_tier', 'text', 'serviceTier'),
  field('api_key_fingerprint', 'text', 'apiKeyFingerprint', AT_START),
  field('organization_id', 'text', 'organizationId'),
  // Null in records spooled before runs existed.
  field('run_id', 'uuid', 'runId', { finalAtStart: true, bind: (row) => row.record.runId ?? null }),
  usage('inference_geo', 'text', 'inferenceGeo'),
  // Set by the writer's pricing; absent in records it has not priced.
  field('cost_usd', 'numeric', 'costUsd', { bind: (row) => row.record.costUsd ?? null }),
  field('price_id', 'text', 'priceId', { bind: (row) => row.record.priceId ?? null }),
  field('cost_status', 'text', 'costStatus', { bind: (row) => row.record.costStatus ?? null }),
  // RESPONSE rules fire after the start's row is written. Absent in records spooled before rules existed.
  field('header_rewrites', 'jsonb', 'headerRewrites', { bind: (row) => asJson(row.record.headerRewrites ?? null) }),
  // Absent in records spooled before routing existed.
  field('translation', 'text', 'translation', { finalAtStart: true, bind: (row) => row.record.translation ?? null }),
  storage('request_body_content_list_id', 'uuid', 'requestBodyContentListId', (row) => storedBodyOf(row.record).partList?.id ?? null, AT_START),
  // Rows stored before lists held every part but the newest messages place theirs here (see ListPlacement).
  storage('request_body_content_list_at', 'integer', 'requestBodyContentListAt', () => null, AT_START),
  storage('request_body_own_ids_at', 'integer', 'requestBodyOwnIdsAt', (row) => storedBodyOf(row.record).partList?.ownAt ?? null, AT_START),
]

/** What a completion changes in its row. */
export const COMPLETION_COLUMNS = REQUEST_COLUMNS.filter((column) => !column.finalAtStart)

const SUMMARY_COLUMNS = REQUEST_COLUMNS.filter((column) => !column.isBody)

/** Entity properties a list selects: every column but the bodies. */
export const SUMMARY_PROPERTIES = SUMMARY_COLUMNS.map((column) => column.property)

/** The one place a `requests` row (read through its entity) becomes a record, bodies left out. */
export function toRequestSummary(row: RequestEntity): RequestSummary {
  return readRequest<RequestSummary>(row, SUMMARY_COLUMNS)
}

const RECORD_COLUMNS = REQUEST_COLUMNS.filter((column) => column.inRecord)

/** A whole row, bodies included; `sources` holds the pieces of its bodies (see `readBodySources`). */
export function toRequestRecord(row: RequestEntity, sources: BodySources): RequestRecord {
  return { ...readRequest<RequestRecord>(row, RECORD_COLUMNS), ...toRequestBodies(row, sources) }
}

/** Where a row's list of part ids goes among its own (see ListPlacement). */
export function listPlacementOf(row: Pick<RequestEntity, 'requestBodyContentListId' | 'requestBodyContentListAt' | 'requestBodyOwnIdsAt'>): ListPlacement {
  return { id: row.requestBodyContentListId, listAt: row.requestBodyContentListAt, ownAt: row.requestBodyOwnIdsAt }
}

/** The bodies of a row read with `BODY_PROPERTIES`, whole again; `sources` as for `toRequestRecord`. */
export function toRequestBodies(row: RequestEntity, sources: BodySources): RequestBodies {
  return {
    requestBody: assembleBody(row.requestBody, storedPartIds(listPlacementOf(row), row.requestBodyContentIds, sources.lists), sources.contents),
    responseBody: row.responseBody,
    responseSse: row.responseSseFromChunks ? (sources.sse.get(row.id) ?? null) : row.responseSse,
  }
}

/** Entity properties that hold a row's bodies, with the row's key (its start says where its stream chunks are). */
export const BODY_PROPERTIES = ['id', 'startedAt', ...REQUEST_COLUMNS.filter((column) => column.isBody).map((column) => column.property)] as Array<keyof RequestEntity>

/**
 * The record fields of `columns` from an entity row (whose properties are the fields' names);
 * `usage` is null when no usage column holds a value. `T` is the record shape `columns` cover.
 */
function readRequest<T extends RequestSummary>(row: RequestEntity, columns: readonly RequestColumn[]): T {
  const values = row as unknown as Record<string, unknown>
  const record: Record<string, unknown> = {}
  const usage: Record<string, unknown> = {}
  for (const column of columns) (column.inUsage ? usage : record)[column.property] = values[column.property]
  record.usage = Object.values(usage).some((value) => value !== null) ? usage : null
  return record as T
}
