/**
 * One-dimensional PostgreSQL arrays in the binary wire format (`array_recv`), which `pg` binds as
 * they are for a Buffer parameter. A stream's hundreds of events go into one row of arrays: as text
 * literals, `pg` would escape every element with regular expressions and build the literal by
 * concatenation, and the server would parse it back; binary, each element is a length and its bytes.
 * The statement must type each parameter (`$n::text[]`): the element type here must be the one the
 * server expects, or it refuses the value.
 */

/** Element type OIDs, as `pg_type` numbers them. */
const TEXT_OID = 25
const INT2_OID = 21
const INT4_OID = 23
const FLOAT8_OID = 701

const NULL_LENGTH = -1

/** A `text[]` parameter; null elements are SQL NULLs. Strings are encoded as UTF-8, as `pg` encodes text parameters. */
export function textArray(values: readonly (string | null)[]): Buffer {
  let size = headerSize(values.length) + 4 * values.length
  let hasNull = false
  for (const value of values) {
    if (value === null) hasNull = true
    else size += Buffer.byteLength(value)
  }
  const buffer = Buffer.allocUnsafe(size)
  let offset = writeHeader(buffer, TEXT_OID, values.length, hasNull)
  for (const value of values) {
    if (value === null) {
      offset = buffer.writeInt32BE(NULL_LENGTH, offset)
      continue
    }
    const written = buffer.write(value, offset + 4)
    buffer.writeInt32BE(written, offset)
    offset += 4 + written
  }
  return buffer
}

/** A `double precision[]` parameter. */
export function float8Array(values: readonly number[]): Buffer {
  return fixedWidthArray(values, FLOAT8_OID, 8, writeFloat8)
}

/** An `integer[]` parameter of whole numbers; one outside 32 bits throws a RangeError (`writeInt32BE`) before anything is sent. */
export function int4Array(values: readonly number[]): Buffer {
  return fixedWidthArray(values, INT4_OID, 4, writeInt4)
}

/** A `smallint[]` parameter of whole numbers; one outside 16 bits throws a RangeError (`writeInt16BE`) before anything is sent. */
export function int2Array(values: readonly number[]): Buffer {
  return fixedWidthArray(values, INT2_OID, 2, writeInt2)
}

// Defined once rather than per call: V8 drops the optimised code of a function built anew on each
// call at every full garbage collection, and compiles it again once it is hot.
const writeFloat8 = (buffer: Buffer, value: number, offset: number) => buffer.writeDoubleBE(value, offset)
const writeInt2 = (buffer: Buffer, value: number, offset: number) => buffer.writeInt16BE(value, offset)
const writeInt4 = (buffer: Buffer, value: number, offset: number) => buffer.writeInt32BE(value, offset)

/** Numbers of `width` bytes each, written by `write` (which returns the offset past the value). */
function fixedWidthArray(values: readonly number[], elementOid: number, width: number, write: (buffer: Buffer, value: number, offset: number) => number): Buffer {
  const buffer = Buffer.allocUnsafe(headerSize(values.length) + (4 + width) * values.length)
  let offset = writeHeader(buffer, elementOid, values.length, false)
  for (const value of values) {
    offset = buffer.writeInt32BE(width, offset)
    offset = write(buffer, value, offset)
  }
  return buffer
}

/** Dimensions, null flag and element type; then, for one dimension, its length and lower bound. An empty array has no dimension. */
function headerSize(length: number): number {
  return length === 0 ? 12 : 20
}

function writeHeader(buffer: Buffer, elementOid: number, length: number, hasNull: boolean): number {
  let offset = buffer.writeInt32BE(length === 0 ? 0 : 1, 0)
  offset = buffer.writeInt32BE(hasNull ? 1 : 0, offset)
  offset = buffer.writeInt32BE(elementOid, offset)
  if (length === 0) return offset
  offset = buffer.writeInt32BE(length, offset)
  return buffer.writeInt32BE(1, offset)
}
