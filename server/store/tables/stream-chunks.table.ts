import type { StreamChunkRecord } from '../../records/request-record'
import { frameSseEvent } from '../../wire/sse-frame'
import type { StreamChunkEntity } from '../entities/stream-chunk.entity'
import { float8Array, int4Array, textArray } from './binary-arrays'
import type { ColumnDescription } from './column'

export const STREAM_CHUNKS_TABLE = 'stream_chunks'

/** The chunks of one response, as one `stream_chunks` row holds them; in seq order from 0 (the recorder keeps the first events of a stream). */
export interface StreamChunks {
  requestId: string
  /** The request's start: the partition key (see partitions.ts). */
  startedAt: Date
  chunks: readonly StreamChunkRecord[]
}

// Each chunk's fields are read by functions defined once, not per call (see binary-arrays.ts).
const eventOf = (chunk: StreamChunkRecord) => chunk.event
const dataOf = (chunk: StreamChunkRecord) => chunk.data
const offsetMsOf = (chunk: StreamChunkRecord) => chunk.offsetMs
const bytesOf = (chunk: StreamChunkRecord) => chunk.bytes

/** The arrays are bound in binary (see binary-arrays.ts), so a statement writing them types its parameters. */
export const STREAM_CHUNK_COLUMNS: ReadonlyArray<ColumnDescription<StreamChunks>> = [
  { name: 'request_id', sqlType: 'uuid', property: 'requestId', bind: (row) => row.requestId },
  { name: 'events', sqlType: 'text[]', property: 'events', bind: (row) => textArray(row.chunks.map(eventOf)) },
  { name: 'data', sqlType: 'text[]', property: 'data', bind: (row) => textArray(row.chunks.map(dataOf)) },
  { name: 'offsets_ms', sqlType: 'double precision[]', property: 'offsetsMs', bind: (row) => float8Array(row.chunks.map(offsetMsOf)) },
  { name: 'bytes', sqlType: 'integer[]', property: 'bytes', bind: (row) => int4Array(row.chunks.map(bytesOf)) },
  { name: 'started_at', sqlType: 'timestamp with time zone', property: 'startedAt', bind: (row) => row.startedAt },
]

/** A row read through its entity, as the records of its chunks. */
export function toStreamChunkRecords(row: StreamChunkEntity): StreamChunkRecord[] {
  return row.data.map((data, seq) => ({ requestId: row.requestId, seq, event: row.events[seq] ?? null, data, offsetMs: row.offsetsMs[seq]!, bytes: row.bytes[seq]! }))
}

/**
 * The SSE text of a response's chunks framed one after the other. When it equals the response's
 * SSE (as the API writes it), `requests.response_sse` is not stored (`response_sse_from_chunks`).
 */
export function framedChunks(chunks: ReadonlyArray<Pick<StreamChunkRecord, 'event' | 'data'>>): string {
  let sse = ''
  for (const chunk of chunks) sse += frameSseEvent(chunk.event, chunk.data)
  return sse
}
