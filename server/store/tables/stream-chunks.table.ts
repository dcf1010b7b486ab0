import type { StreamChunkRecord } from '../../records/request-record'
import type { StreamChunkEntity } from '../entities/stream-chunk.entity'
import type { ColumnDescription } from './column'

export const STREAM_CHUNKS_TABLE = 'stream_chunks'

/** The `stream_chunks` row of one StreamChunkRecord; every field is a column of the same name. */
export const STREAM_CHUNK_COLUMNS: ReadonlyArray<ColumnDescription<StreamChunkRecord>> = (
  [
    ['request_id', 'uuid', 'requestId'],
    ['seq', 'integer', 'seq'],
    ['event', 'text', 'event'],
    ['data', 'text', 'data'],
    ['offset_ms', 'double precision', 'offsetMs'],
    ['bytes', 'integer', 'bytes'],
  ] as const
).map(([name, sqlType, property]) => ({ name, sqlType, property, bind: (chunk: StreamChunkRecord) => chunk[property] }))

/** A row read through its entity, as its record. */
export function toStreamChunkRecord(row: StreamChunkEntity): StreamChunkRecord {
  const values = row as unknown as Record<string, unknown>
  return Object.fromEntries(STREAM_CHUNK_COLUMNS.map((column) => [column.property, values[column.property]])) as unknown as StreamChunkRecord
}
