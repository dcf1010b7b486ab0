import type { CaptureOp } from '../records/capture-op'
import { ORPHANED_ERROR_CODE } from '../records/orphaned-record'
import type { StreamChunkRecord } from '../records/request-record'
import type { BodyPart } from './contents/body-layout'
import { storedBodyOf } from './contents/stored-body'
import { columnNames, type ColumnDescription } from './tables/column'
import type { PartList } from './contents/part-list'
import { CONTENT_COLUMNS, CONTENT_LAST_USED_AT, CONTENT_LIST_COLUMNS, CONTENT_LISTS_TABLE, CONTENTS_TABLE } from './tables/contents.table'
import { COMPLETION_COLUMNS, REQUEST_COLUMNS, REQUESTS_TABLE, type RequestRow } from './tables/requests.table'
import { framedChunks, STREAM_CHUNK_COLUMNS, STREAM_CHUNKS_TABLE, type StreamChunks } from './tables/stream-chunks.table'
import { PARTITION_KEY } from './partitions'
import { RATE_LIMIT_SNAPSHOT_COLUMNS, RATE_LIMIT_SNAPSHOTS_TABLE } from './tables/rate-limit-snapshots.table'
import type { RateLimitSnapshotRecord } from '../records/rate-limit-snapshot'

export interface Statement {
  text: string
  values: unknown[]
}

/** PostgreSQL's bind-parameter limit per statement (a 16-bit count). */
export const MAX_BIND_PARAMETERS = 65_535

/**
 * Completed once: neither a replayed start nor a second completion touches a finished row. A row
 * the orphan sweep closed is not finished: its completion may still come from the spool.
 */
const STILL_OPEN = `(${REQUESTS_TABLE}.status = 'IN_FLIGHT' OR ${REQUESTS_TABLE}.error_code = '${ORPHANED_ERROR_CODE}')`

const REQUESTS_UPSERT: RowsStatement<RequestRow> = {
  columns: REQUEST_COLUMNS,
  head: `INSERT INTO ${REQUESTS_TABLE} (${columnNames(REQUEST_COLUMNS)}) VALUES `,
  tail: ` ON CONFLICT (id, started_at) DO UPDATE SET ${COMPLETION_COLUMNS.map(({ name }) => `${name} = EXCLUDED.${name}`).join(', ')} WHERE ${STILL_OPEN}`,
}

/** The row's key: its id and its start, which says the partition it is in (see partitions.ts). */
const KEY_COLUMNS = REQUEST_COLUMNS.filter((column) => column.name === 'id' || column.name === PARTITION_KEY)

/** For a completion whose start row is stored: no request body to bind and send again. */
const REQUESTS_COMPLETION_UPDATE: RowsStatement<RequestRow> = {
  columns: [...KEY_COLUMNS, ...COMPLETION_COLUMNS],
  head: `UPDATE ${REQUESTS_TABLE} SET ${COMPLETION_COLUMNS.map(({ name }) => `${name} = v.${name}`).join(', ')} FROM (VALUES `,
  tail: `) AS v (${columnNames(KEY_COLUMNS)}, ${columnNames(COMPLETION_COLUMNS)}) WHERE ${KEY_COLUMNS.map(({ name }) => `${REQUESTS_TABLE}.${name} = v.${name}`).join(' AND ')} AND ${STILL_OPEN}`,
  // A VALUES list types its parameters from nothing: each says what it is.
  typed: true,
}

/**
 * Every write of a part refreshes `last_used_at`, which retention reads (see known-contents); the
 * text of a row already there is left as it is.
 */
const CONTENTS_UPSERT: RowsStatement<BodyPart> = {
  columns: CONTENT_COLUMNS,
  head: `INSERT INTO ${CONTENTS_TABLE} (${columnNames(CONTENT_COLUMNS)}) VALUES `,
  tail: ` ON CONFLICT (id) DO UPDATE SET ${CONTENT_LAST_USED_AT.name} = now()`,
  // The search keys are bound in binary (see binary-arrays.ts).
  typed: true,
}

/** Lists of part ids, refreshed as contents are. */
const CONTENT_LISTS_UPSERT: RowsStatement<PartList> = {
  columns: CONTENT_LIST_COLUMNS,
  head: `INSERT INTO ${CONTENT_LISTS_TABLE} (${columnNames(CONTENT_LIST_COLUMNS)}) VALUES `,
  tail: ` ON CONFLICT (id) DO UPDATE SET ${CONTENT_LAST_USED_AT.name} = now()`,
}

const CHUNKS_INSERT: RowsStatement<StreamChunks> = {
  columns: STREAM_CHUNK_COLUMNS,
  head: `INSERT INTO ${STREAM_CHUNKS_TABLE} (${columnNames(STREAM_CHUNK_COLUMNS)}) VALUES `,
  tail: ' ON CONFLICT DO NOTHING',
  // Its arrays are bound in binary, which the server reads only as the type it expects.
  typed: true,
}

/** A request's snapshot is written once: a replayed completion adds nothing to the time series. */
const RATE_LIMIT_SNAPSHOTS_INSERT: RowsStatement<RateLimitSnapshotRecord> = {
  columns: RATE_LIMIT_SNAPSHOT_COLUMNS,
  head: `INSERT INTO ${RATE_LIMIT_SNAPSHOTS_TABLE} (${columnNames(RATE_LIMIT_SNAPSHOT_COLUMNS)}) VALUES `,
  tail: ' ON CONFLICT (request_id) DO NOTHING',
}

/** What one batch sends: its statements, and the ids of the body parts and part lists they write. */
export interface BatchWrite {
  statements: Statement[]
  contentIds: string[]
}

/** Whether writing `op` binds its request body: all but a completion whose start row is stored. */
export function writesRequestBody(op: CaptureOp, isStartStored: (id: string) => boolean): boolean {
  return !(op.kind === 'complete' && isStartStored(op.record.id))
}

/**
 * The parameterised statements that write one batch (ops must carry distinct ids, which the queue
 * guarantees): completions whose start row is stored (`isStartStored`) update it, other records
 * are upserted with the parts of their bodies and their lists of part ids that are not `isKnown`
 * (each once, in id order, so concurrent writers lock rows in the same order), and each completion's stream chunks inserted as
 * one row (its SSE is not stored again when it is exactly these chunks framed), and each
 * completion's rate-limit snapshot added to its series.
 * As many of these as the bind-parameter limit allows go into one statement (joined with WITH),
 * so a usual batch is one round trip that commits on its own.
 */
export function buildBatchStatements(ops: readonly CaptureOp[], isStartStored: (id: string) => boolean = () => false, isKnown: (contentId: string) => boolean = () => false): BatchWrite {
  const upserts: RequestRow[] = []
  const completions: RequestRow[] = []
  const streams: StreamChunks[] = []
  const snapshots: RateLimitSnapshotRecord[] = []
  const parts = new Map<string, BodyPart>()
  const lists = new Map<string, PartList>()
  for (const op of ops) {
    const { record } = op
    const chunks = op.kind === 'complete' ? op.chunks.records() : []
    const row = { record, responseSseFromChunks: chunks.length > 0 && record.responseSse !== null && record.responseSse === framedChunks(chunks) }
    if (writesRequestBody(op, isStartStored)) {
      upserts.push(row)
      const stored = storedBodyOf(record)
      for (const part of stored.parts) if (!isKnown(part.id)) parts.set(part.id, part)
      if (stored.partList !== null && !isKnown(stored.partList.id)) lists.set(stored.partList.id, stored.partList)
    } else {
      completions.push(row)
    }
    if (chunks.length > 0) streams.push(streamOf(record.id, record.startedAt, chunks))
    if (op.kind === 'complete' && record.rateLimit) snapshots.push(record.rateLimit)
  }
  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1)
  const contents = [...parts.values()].sort(byId)
  const partLists = [...lists.values()].sort(byId)
  const builder = new StatementBuilder()
  builder.add(CONTENTS_UPSERT, contents)
  builder.add(CONTENT_LISTS_UPSERT, partLists)
  builder.add(REQUESTS_UPSERT, upserts)
  builder.add(REQUESTS_COMPLETION_UPDATE, completions)
  builder.add(CHUNKS_INSERT, streams)
  builder.add(RATE_LIMIT_SNAPSHOTS_INSERT, snapshots)
  // One set of known ids serves both: a list's id hashes comma-joined ids, which no part's bytes are.
  return { statements: builder.finish(), contentIds: [...contents, ...partLists].map((written) => written.id) }
}

/** The statements that write `parts` (distinct ids, in id order) as a batch writes them: with their search keys. */
export function contentsUpsert(parts: readonly BodyPart[]): Statement[] {
  const builder = new StatementBuilder()
  builder.add(CONTENTS_UPSERT, parts)
  return builder.finish()
}

/**
 * The stream row of a completion. A row keeps its events' order only (an event's seq is its
 * index): chunks of another request, or not numbered from 0 without a gap as the recorder numbers
 * them, are refused as the rows' fault (a TypeError), so the writer sets the op aside.
 */
function streamOf(requestId: string, startedAt: Date, chunks: readonly StreamChunkRecord[]): StreamChunks {
  chunks.forEach((chunk, index) => {
    if (chunk.requestId !== requestId || chunk.seq !== index) {
      throw new TypeError(`stream chunk ${chunk.seq} of ${chunk.requestId} cannot be stored as event ${index} of request ${requestId}`)
    }
  })
  return { requestId, startedAt, chunks }
}

/** A multi-row statement: `head`, one parenthesised tuple per row, `tail`. */
interface RowsStatement<T> {
  columns: ReadonlyArray<ColumnDescription<T>>
  head: string
  tail: string
  /** Each placeholder cast to its column's type. */
  typed?: boolean
}

/** Most placeholder tuples kept per statement; past it a tuple is built each time. */
const TUPLES_KEPT = 4096

/** Each statement's placeholder tuples by the number of their first parameter. */
const tuplesByStatement = new WeakMap<RowsStatement<never>, Map<number, string>>()

/**
 * `($first, $first+1, …)` for one row of `statement`. Batches repeat the same few shapes, and
 * building the tuple of every row of every batch anew was a quarter of what the writer allocated
 * under a load of small requests.
 */
function placeholderTuple<T>(statement: RowsStatement<T>, first: number): string {
  let tuples = tuplesByStatement.get(statement)
  if (tuples === undefined) tuplesByStatement.set(statement, (tuples = new Map()))
  let tuple = tuples.get(first)
  if (tuple === undefined) {
    tuple = `(${statement.columns.map(({ sqlType }, i) => (statement.typed ? `$${first + i}::${sqlType}` : `$${first + i}`)).join(', ')})`
    if (tuples.size < TUPLES_KEPT) tuples.set(first, tuple)
  }
  return tuple
}

/** Packs multi-row statements into as few statements as the bind-parameter limit allows. */
class StatementBuilder {
  readonly #statements: Statement[] = []
  /** Complete multi-row statements of the statement being built, sharing `#values`. */
  #parts: string[] = []
  #values: unknown[] = []

  add<T>(statement: RowsStatement<T>, rows: readonly T[]): void {
    let tuples = ''
    const endPart = () => {
      if (tuples !== '') this.#parts.push(statement.head + tuples + statement.tail)
      tuples = ''
    }
    for (const row of rows) {
      if (this.#values.length + statement.columns.length > MAX_BIND_PARAMETERS) {
        endPart()
        this.#endStatement()
      }
      const tuple = placeholderTuple(statement, this.#values.length + 1)
      for (const { bind } of statement.columns) this.#values.push(bind(row))
      tuples = tuples === '' ? tuple : `${tuples}, ${tuple}`
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
