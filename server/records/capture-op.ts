import type { RequestRecord, StreamChunkRecord } from './request-record'

/**
 * What capture hands on for storage. `start` inserts the IN_FLIGHT row; `complete` writes the
 * final row and its stream chunks. Records are snapshots: the recorder never mutates one after
 * handing it over, so the writer may serialise it at any time.
 */
export type CaptureOp =
  | { kind: 'start'; record: RequestRecord }
  | { kind: 'complete'; record: RequestRecord; chunks: StreamChunkRecord[] }
