import { crc32 } from 'node:zlib'
import { deserialize, serialize } from 'node:v8'
import { chunkList, type CaptureOp } from '../capture-op'
import { fieldsAroundBody, RequestBody, requestBodyBytesOf, withRequestBody } from '../../records/request-body'
import type { RequestRecord, StreamChunkRecord } from '../../records/request-record'

/**
 * On-disk form of capture ops. Each frame is `[payload length u32][crc32 u32][payload]`. The
 * payload is `[format byte][fields length u32][fields][body]`: the fields a V8 structured-clone of
 * the op without its request body (Dates, Buffers and big integers in text survive as they are),
 * then the body's raw bytes. So spooling never decodes a large body, nor copies it into the
 * clone: the body is written from the buffer it was forwarded from, and read back with one block
 * copy out of the segment (a view would pin the whole segment in memory for as long as anything
 * keeps the record; `Buffer.from` of a view copies byte by byte, 15 times slower). Frames of
 * earlier versions hold the whole op as one clone, whose first byte is V8's version tag, and still
 * decode.
 */
export const FRAME_HEADER_BYTES = 8

/** First byte of a payload in the current format; a V8 clone (the earlier one) starts with 0xFF. */
const FORMAT_FIELDS_THEN_BODY = 0x01
/** The format byte and the fields' length. */
const PAYLOAD_HEADER_BYTES = 5

interface StoredOp {
  kind: CaptureOp['kind']
  record: Omit<RequestRecord, 'requestBody'>
  /** The body of a record built with a plain string body; absent when the raw bytes follow the fields. */
  body?: Buffer | string
  chunks?: StreamChunkRecord[]
}

/** An op's frame in pieces, to be written one after the other: the body's bytes are never copied. */
export function encodeOp(op: CaptureOp): Buffer[] {
  const bytes = requestBodyBytesOf(op.record)
  const stored: StoredOp = {
    kind: op.kind,
    record: fieldsAroundBody(op.record),
    ...(bytes === null ? { body: op.record.requestBody } : {}),
    ...(op.kind === 'complete' ? { chunks: op.chunks.records() } : {}),
  }
  const fields = serialize(stored)
  const body = bytes ?? Buffer.alloc(0)
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES + PAYLOAD_HEADER_BYTES)
  header.writeUInt32LE(PAYLOAD_HEADER_BYTES + fields.length + body.length, 0)
  header.writeUInt8(FORMAT_FIELDS_THEN_BODY, FRAME_HEADER_BYTES)
  header.writeUInt32LE(fields.length, FRAME_HEADER_BYTES + 1)
  header.writeUInt32LE(crc32(body, crc32(fields, crc32(header.subarray(FRAME_HEADER_BYTES)))), 4)
  return [header, fields, body]
}

/**
 * What lies at `offset` of a segment: an op and where the next frame starts; `torn` when the frame
 * is incomplete or fails its checksum (a crash tore the last write, and nothing after it can be
 * trusted); `unreadable` when the checksum holds but the payload does not decode (written by an
 * incompatible version), which costs that frame alone.
 */
export type Frame = { kind: 'op'; op: CaptureOp; end: number } | { kind: 'torn' } | { kind: 'unreadable'; end: number; error: unknown }

export function readFrame(segment: Buffer, offset: number, options: { verifyChecksum: boolean } = { verifyChecksum: true }): Frame {
  if (segment.length - offset < FRAME_HEADER_BYTES) return { kind: 'torn' }
  const length = segment.readUInt32LE(offset)
  const checksum = segment.readUInt32LE(offset + 4)
  const end = offset + FRAME_HEADER_BYTES + length
  if (end > segment.length) return { kind: 'torn' }
  const payload = segment.subarray(offset + FRAME_HEADER_BYTES, end)
  if (options.verifyChecksum && crc32(payload) !== checksum) return { kind: 'torn' }
  try {
    return { kind: 'op', op: decodePayload(payload), end }
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

function decodePayload(payload: Buffer): CaptureOp {
  if (payload[0] !== FORMAT_FIELDS_THEN_BODY) {
    const stored = deserialize(payload) as StoredOp
    return toOp(stored, stored.body ?? '')
  }
  const fieldsEnd = PAYLOAD_HEADER_BYTES + payload.readUInt32LE(1)
  const stored = deserialize(payload.subarray(PAYLOAD_HEADER_BYTES, fieldsEnd)) as StoredOp
  return toOp(stored, stored.body ?? Buffer.copyBytesFrom(payload, fieldsEnd))
}

function toOp(stored: StoredOp, body: Buffer | string): CaptureOp {
  const record =
    typeof body === 'string'
      ? ({ ...stored.record, requestBody: body } as RequestRecord)
      : withRequestBody(stored.record, new RequestBody(Buffer.isBuffer(body) ? body : Buffer.from(body)))
  return stored.kind === 'complete' ? { kind: 'complete', record, chunks: chunkList(stored.chunks ?? []) } : { kind: 'start', record }
}
