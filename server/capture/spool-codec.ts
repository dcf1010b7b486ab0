import { crc32 } from 'node:zlib'
import { deserialize, serialize } from 'node:v8'
import type { CaptureOp } from './capture-op'
import { RequestBody, requestBodyBytesOf, withRequestBody } from './request-body'
import type { RequestRecord, StreamChunkRecord } from './request-record'

/**
 * On-disk form of capture ops. Each frame is `[payload length u32][crc32 u32][payload]`, the payload
 * a V8 structured-clone of the op (Dates, Buffers and big integers in text survive as they are).
 * The request body travels as its raw bytes, so spooling never decodes a large body.
 */
const HEADER_BYTES = 8

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
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payload.length)
  frame.writeUInt32LE(payload.length, 0)
  frame.writeUInt32LE(crc32(payload), 4)
  payload.copy(frame, HEADER_BYTES)
  return frame
}

/**
 * Every intact op in a segment, in order. Decoding stops at the first frame that is incomplete or
 * fails its checksum: a crash can tear only the last write, and what follows a tear is unreadable.
 */
export function decodeOps(segment: Buffer): { ops: CaptureOp[]; tornAtByte: number | null } {
  const ops: CaptureOp[] = []
  let offset = 0
  while (offset < segment.length) {
    if (segment.length - offset < HEADER_BYTES) return { ops, tornAtByte: offset }
    const length = segment.readUInt32LE(offset)
    const checksum = segment.readUInt32LE(offset + 4)
    const end = offset + HEADER_BYTES + length
    if (end > segment.length) return { ops, tornAtByte: offset }
    const payload = segment.subarray(offset + HEADER_BYTES, end)
    if (crc32(payload) !== checksum) return { ops, tornAtByte: offset }
    ops.push(toOp(deserialize(payload) as StoredOp))
    offset = end
  }
  return { ops, tornAtByte: null }
}

function toOp(stored: StoredOp): CaptureOp {
  const record =
    typeof stored.body === 'string'
      ? ({ ...stored.record, requestBody: stored.body } as RequestRecord)
      : withRequestBody(stored.record, new RequestBody(Buffer.from(stored.body)))
  return stored.kind === 'complete' ? { kind: 'complete', record, chunks: stored.chunks ?? [] } : { kind: 'start', record }
}
