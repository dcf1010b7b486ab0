import type { BodyPart } from './body-layout'

/** How many buckets a text's trigrams fold into: few enough that the index keeps long, well-compressed lists. */
const BUCKET_COUNT = 4096
const BUCKET_BITS = 12
/**
 * Past this many UTF-16 units a text is given every bucket without being read: a superset never
 * misses a match, and a text this long (an image or a document in base64, mostly) fills nearly all
 * of them anyway, where reading it would hold the event loop for milliseconds.
 */
const READ_UNITS_MAX = 256 * 1024

/** Each UTF-16 code unit lowered alone (see `textBuckets`), built on first use. */
let lowered: Uint16Array | undefined

function loweredUnits(): Uint16Array {
  if (lowered !== undefined) return lowered
  const table = new Uint16Array(0x10000)
  for (let unit = 0; unit < table.length; unit++) {
    // A character outside the BMP is two surrogates, which lower together or not at all: all of them fold to one unit.
    table[unit] = unit >= 0xd800 && unit <= 0xdfff ? 0xd800 : String.fromCharCode(unit).toLowerCase().charCodeAt(0)
  }
  return (lowered = table)
}

/** Reused by every call: which buckets the text being read has shown so far. */
const seen = new Uint8Array(BUCKET_COUNT)

/**
 * The keys of body search's index for a text: every three consecutive UTF-16 code units of it,
 * each lowered alone, hashed into one of 4,096 buckets; ascending, each once.
 *
 * A text that contains a search case-insensitively (`ILIKE`) holds every bucket of the search, so
 * `buckets @> textBuckets(search)` never misses a match, and `ILIKE` checks the parts it keeps.
 * That holds because lowering one unit at a time merges at least what the database's `lower()`
 * merges: the whole-string lowering of JavaScript would not (a final sigma lowers by its
 * context; `İ` lowers to two units, of which the first is kept here), and every surrogate folds to
 * one unit, as its letter's case cannot be told from half of it. A search under three units has
 * no bucket and is checked against every part.
 *
 * Computed here rather than by the database: pg_trgm's `show_trgm` with a hash per trigram in SQL
 * cost PostgreSQL about 0.8 ms per 2 KB part, most of the database's time under a conversation
 * load, where this costs a few microseconds.
 */
export function textBuckets(text: string): number[] {
  if (text.length > READ_UNITS_MAX) return Array.from({ length: BUCKET_COUNT }, (_, bucket) => bucket)
  const lower = loweredUnits()
  let a = 0
  let b = 0
  let count = 0
  for (let i = 0; i < text.length; i++) {
    const c = lower[text.charCodeAt(i)]!
    if (i >= 2) {
      let h = (Math.imul(a, 0x9e3779b1) + Math.imul(b, 0x85ebca77) + Math.imul(c, 0xc2b2ae3d)) | 0
      h ^= h >>> 15
      h = Math.imul(h, 0x2c1b3c6d)
      h ^= h >>> 13
      const bucket = h >>> (32 - BUCKET_BITS)
      if (seen[bucket] === 0) {
        seen[bucket] = 1
        if (++count === BUCKET_COUNT) break
      }
    }
    a = b
    b = c
  }
  const buckets = new Array<number>(count)
  // Read back in order, clearing as it goes: cheaper than sorting what was found once a text has a few dozen.
  for (let bucket = 0, at = 0; at < count; bucket++) {
    if (seen[bucket] === 0) continue
    seen[bucket] = 0
    buckets[at++] = bucket
  }
  return buckets
}

const bucketsOfParts = new WeakMap<BodyPart, number[]>()

/** A part's buckets, worked out once: the writer reads them ahead of building its statements, where it can yield between parts. */
export function partBuckets(part: BodyPart): number[] {
  let buckets = bucketsOfParts.get(part)
  if (buckets === undefined) {
    buckets = textBuckets(part.bytes.toString('utf8'))
    bucketsOfParts.set(part, buckets)
  }
  return buckets
}

/** Buckets as an array literal, for statements that bind them through `unnest` of a text array. */
export function bucketsLiteral(buckets: readonly number[]): string {
  return `{${buckets.join(',')}}`
}
