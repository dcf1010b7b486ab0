import type { CaptureOp } from '../records/capture-op'

export type { CaptureOp }
export { chunkList, NO_CHUNKS, type CapturedChunks } from '../records/capture-op'

/** Receives ops from the recorder; must be synchronous, cheap and never throw. */
export type CaptureSink = (op: CaptureOp) => void

/** Rough per-row and per-chunk overhead besides text (fields, headers, object headers). */
const RECORD_OVERHEAD_BYTES = 1024
const CHUNK_OVERHEAD_BYTES = 64

/**
 * Approximate memory an op holds, for the queue's byte bound: the request body's bytes, response
 * text lengths (UTF-16 code units, close to UTF-8 bytes for what the API sends) and a fixed
 * overhead per row and per chunk.
 */
export function opBytes(op: CaptureOp): number {
  const r = op.record
  let bytes = RECORD_OVERHEAD_BYTES + r.requestBodyBytes
  if (op.kind === 'complete') {
    bytes += (r.responseBody?.length ?? 0) + (r.responseSse?.length ?? 0) + (r.error?.length ?? 0)
    bytes += CHUNK_OVERHEAD_BYTES * op.chunks.count + op.chunks.dataLength
  }
  return bytes
}

/** Whether `incoming` supersedes `held` for the same request: anything does, except a start over a completion. */
export function replaces(incoming: CaptureOp, held: CaptureOp): boolean {
  return !(incoming.kind === 'start' && held.kind === 'complete')
}

/**
 * One op per request, in first-seen order, the superseding one kept. A batch must hold each row
 * once: a multi-row upsert may not touch a row twice (a spooled start and its completion can meet
 * in one replay batch).
 */
export function coalesceOps(ops: readonly CaptureOp[]): CaptureOp[] {
  const byId = new Map<string, CaptureOp>()
  for (const op of ops) {
    const held = byId.get(op.record.id)
    if (held === undefined || replaces(op, held)) byId.set(op.record.id, op)
  }
  return byId.size === ops.length ? [...ops] : [...byId.values()]
}
