import type { CaptureOp } from './capture-op'
import { requestBodyParameter } from './request-body'
import type { RequestRecord, StreamChunkRecord } from './request-record'

export interface Statement {
  text: string
  values: unknown[]
}

/** PostgreSQL's bind-parameter limit per statement (a 16-bit count). */
export const MAX_BIND_PARAMETERS = 65_535

/** Every `requests` column the writer owns, with where its value comes from. */
const REQUEST_COLUMNS: ReadonlyArray<readonly [column: string, value: (r: RequestRecord) => unknown]> = [
  ['id', (r) => r.id],
  ['status', (r) => r.status],
  ['started_at', (r) => r.startedAt],
  ['completed_at', (r) => r.completedAt],
  ['method', (r) => r.method],
  ['path', (r) => r.path],
  ['query', (r) => r.query],
  ['user_agent', (r) => r.userAgent],
  ['model', (r) => r.model],
  ['routed_model', (r) => r.routedModel],
  ['provider', (r) => r.provider],
  ['stream', (r) => r.stream],
  ['http_status', (r) => r.httpStatus],
  ['upstream_request_id', (r) => r.upstreamRequestId],
  ['stop_reason', (r) => r.stopReason],
  ['error', (r) => r.error],
  ['error_code', (r) => r.errorCode],
  ['response_headers_ms', (r) => r.responseHeadersMs],
  ['ttfb_ms', (r) => r.ttfbMs],
  ['duration_ms', (r) => r.durationMs],
  ['request_headers', (r) => JSON.stringify(r.requestHeaders)],
  ['request_body', requestBodyParameter],
  ['request_body_bytes', (r) => r.requestBodyBytes],
  ['request_body_is_json', (r) => r.requestBodyIsJson],
  ['response_headers', (r) => (r.responseHeaders === null ? null : JSON.stringify(r.responseHeaders))],
  ['response_body', (r) => r.responseBody],
  ['response_sse', (r) => r.responseSse],
  ['response_body_bytes', (r) => r.responseBodyBytes],
  ['input_tokens', (r) => r.usage?.inputTokens ?? null],
  ['output_tokens', (r) => r.usage?.outputTokens ?? null],
  ['cache_creation_input_tokens', (r) => r.usage?.cacheCreationInputTokens ?? null],
  ['cache_creation_5m_input_tokens', (r) => r.usage?.cacheCreation5mInputTokens ?? null],
  ['cache_creation_1h_input_tokens', (r) => r.usage?.cacheCreation1hInputTokens ?? null],
  ['cache_read_input_tokens', (r) => r.usage?.cacheReadInputTokens ?? null],
  ['thinking_tokens', (r) => r.usage?.thinkingTokens ?? null],
  ['web_search_requests', (r) => r.usage?.webSearchRequests ?? null],
  ['web_fetch_requests', (r) => r.usage?.webFetchRequests ?? null],
  ['service_tier', (r) => r.usage?.serviceTier ?? null],
  ['api_key_fingerprint', (r) => r.apiKeyFingerprint],
  ['organization_id', (r) => r.organizationId],
]

const CHUNK_COLUMNS: ReadonlyArray<readonly [column: string, value: (c: StreamChunkRecord) => unknown]> = [
  ['request_id', (c) => c.requestId],
  ['seq', (c) => c.seq],
  ['event', (c) => c.event],
  ['data', (c) => c.data],
  ['offset_ms', (c) => c.offsetMs],
  ['bytes', (c) => c.bytes],
]

/**
 * Columns whose value is final in the start's row. A completion's upsert leaves them alone, so a
 * row written at start does not get its request body compressed and stored a second time.
 */
const FINAL_AT_START = new Set(['id', 'started_at', 'method', 'path', 'query', 'user_agent', 'model', 'provider', 'stream', 'request_headers', 'request_body', 'request_body_bytes', 'request_body_is_json', 'api_key_fingerprint'])

const REQUESTS_UPSERT_TAIL =
  ' ON CONFLICT (id) DO UPDATE SET ' +
  REQUEST_COLUMNS.filter(([column]) => !FINAL_AT_START.has(column))
    .map(([column]) => `${column} = EXCLUDED.${column}`)
    .join(', ') +
  // Completed once: neither a replayed start nor a second completion touches a finished row.
  ` WHERE requests.status = 'IN_FLIGHT'`

/**
 * The parameterised statements that write one batch: multi-row upserts into `requests` (ops must
 * carry distinct ids, which the queue guarantees) followed by multi-row inserts of the
 * completions' stream chunks, each statement split to stay under the bind-parameter limit.
 */
export function buildBatchStatements(ops: readonly CaptureOp[]): Statement[] {
  const records = ops.map((op) => op.record)
  const chunks = ops.flatMap((op) => (op.kind === 'complete' ? op.chunks : []))
  return [
    ...multiRowInserts('requests', REQUEST_COLUMNS, records, REQUESTS_UPSERT_TAIL),
    ...multiRowInserts('stream_chunks', CHUNK_COLUMNS, chunks, ' ON CONFLICT DO NOTHING'),
  ]
}

function multiRowInserts<T>(
  table: string,
  columns: ReadonlyArray<readonly [string, (row: T) => unknown]>,
  rows: readonly T[],
  tail: string,
): Statement[] {
  const head = `INSERT INTO ${table} (${columns.map(([column]) => column).join(', ')}) VALUES `
  const rowsPerStatement = Math.floor(MAX_BIND_PARAMETERS / columns.length)
  const statements: Statement[] = []
  for (let first = 0; first < rows.length; first += rowsPerStatement) {
    const slice = rows.slice(first, first + rowsPerStatement)
    const values: unknown[] = []
    const tuples = slice.map((row) => {
      const placeholders = columns.map(([, value]) => {
        values.push(value(row))
        return `$${values.length}`
      })
      return `(${placeholders.join(', ')})`
    })
    statements.push({ text: head + tuples.join(', ') + tail, values })
  }
  return statements
}
