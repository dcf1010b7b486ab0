import type { RequestRecord, StreamChunkRecord } from './request-record'

/**
 * What capture hands on for storage. `start` inserts the IN_FLIGHT row; `complete` writes the
 * final row and its stream chunks. Records are snapshots: the recorder never mutates one after
 * handing it over, so the writer may serialise it at any time.
 */
export type CaptureOp =
  | { kind: 'start'; record: RequestRecord }
  | { kind: 'complete'; record: RequestRecord; chunks: CapturedChunks }

/**
 * A completion's stream chunks, whose records are made when they are read. A recording hands on
 * its stream's kept bytes, parsed again by `records()` when the writer stores them (see
 * kept-stream): a completion waiting in the queue then holds one buffer rather than an object and
 * a string per event, which young collections copied and then promoted to the old generation.
 */
export interface CapturedChunks {
  /** How many records `records()` gives. */
  readonly count: number
  /** The records' data lengths summed (UTF-16 code units), for the queue's byte bound. */
  readonly dataLength: number
  /** The records, in seq order from 0. Each call may make them anew: read them once per use. */
  records(): StreamChunkRecord[]
}

/** Chunks already made as records. */
export function chunkList(records: StreamChunkRecord[]): CapturedChunks {
  let dataLength = 0
  for (const record of records) dataLength += record.data.length
  return { count: records.length, dataLength, records: () => records }
}

/** The chunks of a completion that streamed nothing. */
export const NO_CHUNKS: CapturedChunks = chunkList([])
