import { crc32 } from 'node:zlib'
import { deserialize, serialize } from 'node:v8'
import type { CaptureOp } from '../capture-op'
import { RequestBody, requestBodyBytesOf, withRequestBody } from '../../records/request-body'
import type { RequestRecord, StreamChunkRecord } from '../../records/request-record'

/**
 * On-disk form of capture ops. Each frame is `[payload length u32][crc32 u32][payload]`, the payload
 * a V8 structured-clone of the op (Dates, Buffers and big integers in text survive as they are).
 * The request body travels as its raw bytes, so spooling never decodes a large body.
 */
export const FRAME_HEADER_BYTES = 8

interface StoredOp {
  kind: CaptureOp['kind']
  record: Omit<RequestRecord, 'requestBody'>
  body: Buffer | string
  chunks?: StreamChunkRecord[]
}

export function encodeOp(op: CaptureOp): Buffer {
  const fields: Record<string, unknown> = {}
  // Copy every field but the body without touching its lazy getter.
  for (const key of Object.keys(op.record)) if (key !== 'requestBody') fields[key] = op.record[key as keyof RequestRecord]
  const stored: StoredOp = {
    kind: op.kind,
    record: fields as Omit<RequestRecord, 'requestBody'>,
    body: requestBodyBytesOf(op.record) ?? op.record.requestBody,
    ...(op.kind === 'complete' ? { chunks: op.chunks } : {}),
  }
  const payload = serialize(stored)
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length)
  frame.writeUInt32LE(payload.length, 0)
  frame.writeUInt32LE(crc32(payload), 4)
  payload.copy(frame, FRAME_HEADER_BYTES)
  return frame
}

/**
 * What lies at `offset` of a segment: an op and where the next frame starts; `torn` when the frame
 * is incomplete or fails its checksum (a crash tore the last write, and nothing after it can be
 * trusted); `unreadable` when the checksum holds but the payload does not decode (written by an
 * incompatible version), which costs that frame alone.
 */
export type Frame = { kind: 'op'; op: CaptureOp; end: number } | { kind: 'torn' } | { kind: 'unreadable'; end: number; error: unknown }

export function readFrame(segment: Buffer, offset: number): Frame {
  if (segment.length - offset < FRAME_HEADER_BYTES) return { kind: 'torn' }
  const length = segment.readUInt32LE(offset)
  const checksum = segment.readUInt32LE(offset + 4)
  const end = offset + FRAME_HEADER_BYTES + length
  if (end > segment.length) return { kind: 'torn' }
  const payload = segment.subarray(offset + FRAME_HEADER_BYTES, end)
  if (crc32(payload) !== checksum) return { kind: 'torn' }
  try {
    return { kind: 'op', op: toOp(deserialize(payload) as StoredOp), end }
  } catch (error) {
    return { kind: 'unreadable', end, error }
  }
}

/** Every intact op in a segment, in order, and the byte where a torn tail starts (null when none). */
export function decodeOps(segment: Buffer): { ops: CaptureOp[]; tornAtByte: number | null } {
  const ops: CaptureOp[] = []
  for (let offset = 0; offset < segment.length; ) {
    const frame = readFrame(segment, offset)
    if (frame.kind === 'torn') return { ops, tornAtByte: offset }
    if (frame.kind === 'op') ops.push(frame.op)
    offset = frame.end
  }
  return { ops, tornAtByte: null }
}

function toOp(stored: StoredOp): CaptureOp {
  const record =
    typeof stored.body === 'string'
      ? ({ ...stored.record, requestBody: stored.body } as RequestRecord)
      : withRequestBody(stored.record, new RequestBody(Buffer.isBuffer(stored.body) ? stored.body : Buffer.from(stored.body)))
  return stored.kind === 'complete' ? { kind: 'complete', record, chunks: stored.chunks ?? [] } : { kind: 'start', record }
}
