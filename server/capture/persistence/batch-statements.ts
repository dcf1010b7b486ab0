import type { CaptureOp } from '../capture-op'
import { ORPHANED_ERROR_CODE } from './capture-runs'
import { requestBodyParameter } from '../request-body'
import type { RequestRecord, StreamChunkRecord } from '../../records/request-record'

export interface Statement {
  text: string
  values: unknown[]
}

/** PostgreSQL's bind-parameter limit per statement (a 16-bit count). */
export const MAX_BIND_PARAMETERS = 65_535

/** A column the writer owns: its name, its SQL type (as the migrations define it) and where its value comes from. */
type Column<T> = readonly [name: string, sqlType: string, value: (row: T) => unknown]

export const REQUEST_COLUMNS: ReadonlyArray<Column<RequestRecord>> = [
  ['id', 'uuid', (r) => r.id],
  ['status', 'text', (r) => r.status],
  ['started_at', 'timestamp with time zone', (r) => r.startedAt],
  ['completed_at', 'timestamp with time zone', (r) => r.completedAt],
  ['method', 'text', (r) => r.method],
  ['path', 'text', (r) => r.path],
  ['query', 'text', (r) => r.query],
  ['user_agent', 'text', (r) => r.userAgent],
  ['model', 'text', (r) => r.model],
  ['routed_model', 'text', (r) => r.routedModel],
  ['provider', 'text', (r) => r.provider],
  ['stream', 'boolean', (r) => r.stream],
  ['demoted', 'boolean', (r) => r.demoted ?? false],
  ['http_status', 'integer', (r) => r.httpStatus],
  ['upstream_request_id', 'text', (r) => r.upstreamRequestId],
  ['stop_reason', 'text', (r) => r.stopReason],
  ['error', 'text', (r) => r.error],
  ['error_code', 'text', (r) => r.errorCode],
  ['response_headers_ms', 'double precision', (r) => r.responseHeadersMs],
  ['ttfb_ms', 'double precision', (r) => r.ttfbMs],
  ['duration_ms', 'double precision', (r) => r.durationMs],
  ['request_headers', 'jsonb', (r) => JSON.stringify(r.requestHeaders)],
  ['request_body', 'text', requestBodyParameter],
  ['request_body_bytes', 'integer', (r) => r.requestBodyBytes],
  ['request_body_is_json', 'boolean', (r) => r.requestBodyIsJson],
  ['response_headers', 'jsonb', (r) => (r.responseHeaders === null ? null : JSON.stringify(r.responseHeaders))],
  ['response_body', 'text', (r) => r.responseBody],
  ['response_sse', 'text', (r) => r.responseSse],
  ['response_body_bytes', 'integer', (r) => r.responseBodyBytes],
  ['input_tokens', 'bigint', (r) => r.usage?.inputTokens ?? null],
  ['output_tokens', 'bigint', (r) => r.usage?.outputTokens ?? null],
  ['cache_creation_input_tokens', 'bigint', (r) => r.usage?.cacheCreationInputTokens ?? null],
  ['cache_creation_5m_input_tokens', 'bigint', (r) => r.usage?.cacheCreation5mInputTokens ?? null],
  ['cache_creation_1h_input_tokens', 'bigint', (r) => r.usage?.cacheCreation1hInputTokens ?? null],
  ['cache_read_input_tokens', 'bigint', (r) => r.usage?.cacheReadInputTokens ?? null],
  ['thinking_tokens', 'bigint', (r) => r.usage?.thinkingTokens ?? null],
  ['web_search_requests', 'integer', (r) => r.usage?.webSearchRequests ?? null],
  ['web_fetch_requests', 'integer', (r) => r.usage?.webFetchRequests ?? null],
  ['service_tier', 'text', (r) => r.usage?.serviceTier ?? null],
  ['api_key_fingerprint', 'text', (r) => r.apiKeyFingerprint],
  ['organization_id', 'text', (r) => r.organizationId],
  ['run_id', 'uuid', (r) => r.runId ?? null],
]

export const CHUNK_COLUMNS: ReadonlyArray<Column<StreamChunkRecord>> = [
  ['request_id', 'uuid', (c) => c.requestId],
  ['seq', 'integer', (c) => c.seq],
  ['event', 'text', (c) => c.event],
  ['data', 'text', (c) => c.data],
  ['offset_ms', 'double precision', (c) => c.offsetMs],
  ['bytes', 'integer', (c) => c.bytes],
]

/**
 * Columns whose value is final in the start's row, the request body among them. A completion
 * leaves them alone, so the body is not compressed and stored a second time.
 */
const FINAL_AT_START = new Set(['id', 'started_at', 'method', 'path', 'query', 'user_agent', 'model', 'provider', 'stream', 'demoted', 'request_headers', 'request_body', 'request_body_bytes', 'request_body_is_json', 'api_key_fingerprint', 'run_id'])

/** What a completion changes in its row. */
const COMPLETION_COLUMNS = REQUEST_COLUMNS.filter(([name]) => !FINAL_AT_START.has(name))

/**
 * Completed once: neither a replayed start nor a second completion touches a finished row. A row
 * the orphan sweep closed is not finished: its completion may still come from the spool.
 */
const STILL_OPEN = `(requests.status = 'IN_FLIGHT' OR requests.error_code = '${ORPHANED_ERROR_CODE}')`

const REQUESTS_UPSERT: RowsStatement<RequestRecord> = {
  columns: REQUEST_COLUMNS,
  head: `INSERT INTO requests (${names(REQUEST_COLUMNS)}) VALUES `,
  tail: ` ON CONFLICT (id) DO UPDATE SET ${COMPLETION_COLUMNS.map(([name]) => `${name} = EXCLUDED.${name}`).join(', ')} WHERE ${STILL_OPEN}`,
}

/** For a completion whose start row is stored: no request body to bind and send again. */
const REQUESTS_COMPLETION_UPDATE: RowsStatement<RequestRecord> = {
  columns: [REQUEST_COLUMNS[0]!, ...COMPLETION_COLUMNS],
  head: `UPDATE requests SET ${COMPLETION_COLUMNS.map(([name]) => `${name} = v.${name}`).join(', ')} FROM (VALUES `,
  tail: `) AS v (id, ${names(COMPLETION_COLUMNS)}) WHERE requests.id = v.id AND ${STILL_OPEN}`,
  // A VALUES list types its parameters from nothing: each says what it is.
  typed: true,
}

const CHUNKS_INSERT: RowsStatement<StreamChunkRecord> = {
  columns: CHUNK_COLUMNS,
  head: `INSERT INTO stream_chunks (${names(CHUNK_COLUMNS)}) VALUES `,
  tail: ' ON CONFLICT DO NOTHING',
}

/**
 * The parameterised statements that write one batch (ops must carry distinct ids, which the queue
 * guarantees): completions whose start row is stored (`isStartStored`) update it, other records
 * are upserted, and the completions' stream chunks inserted. As many of these as the
 * bind-parameter limit allows go into one statement (joined with WITH), so a usual batch is one
 * round trip that commits on its own.
 */
export function buildBatchStatements(ops: readonly CaptureOp[], isStartStored: (id: string) => boolean = () => false): Statement[] {
  const upserts: RequestRecord[] = []
  const completions: RequestRecord[] = []
  const chunks: StreamChunkRecord[] = []
  for (const op of ops) {
    const updatesStoredStart = op.kind === 'complete' && isStartStored(op.record.id)
    ;(updatesStoredStart ? completions : upserts).push(op.record)
    if (op.kind === 'complete') chunks.push(...op.chunks)
  }
  const builder = new StatementBuilder()
  builder.add(REQUESTS_UPSERT, upserts)
  builder.add(REQUESTS_COMPLETION_UPDATE, completions)
  builder.add(CHUNKS_INSERT, chunks)
  return builder.finish()
}

/** A multi-row statement: `head`, one parenthesised tuple per row, `tail`. */
interface RowsStatement<T> {
  columns: ReadonlyArray<Column<T>>
  head: string
  tail: string
  /** Each placeholder cast to its column's type. */
  typed?: boolean
}

/** Packs multi-row statements into as few statements as the bind-parameter limit allows. */
class StatementBuilder {
  readonly #statements: Statement[] = []
  /** Complete multi-row statements of the statement being built, sharing `#values`. */
  #parts: string[] = []
  #values: unknown[] = []

  add<T>(statement: RowsStatement<T>, rows: readonly T[]): void {
    let tuples: string[] = []
    const endPart = () => {
      if (tuples.length > 0) this.#parts.push(statement.head + tuples.join(', ') + statement.tail)
      tuples = []
    }
    for (const row of rows) {
      if (this.#values.length + statement.columns.length > MAX_BIND_PARAMETERS) {
        endPart()
        this.#endStatement()
      }
      const placeholders = statement.columns.map(([, sqlType, value]) => {
        this.#values.push(value(row))
        return statement.typed ? `$${this.#values.length}::${sqlType}` : `$${this.#values.length}`
      })
      tuples.push(`(${placeholders.join(', ')})`)
    }
    endPart()
  }

  finish(): Statement[] {
    this.#endStatement()
    return this.#statements
  }

  #endStatement(): void {
    const parts = this.#parts
    if (parts.length === 0) return
    // Data-modifying WITH parts all run, whatever the last statement reads.
    const text = parts.length === 1 ? parts[0]! : `WITH ${parts.slice(0, -1).map((part, i) => `part${i} AS (${part})`).join(', ')} ${parts.at(-1)!}`
    this.#statements.push({ text, values: this.#values })
    this.#parts = []
    this.#values = []
  }
}

function names<T>(columns: ReadonlyArray<Column<T>>): string {
  return columns.map(([name]) => name).join(', ')
}
