/**
 * Finds the members of a JSON body's top-level object straight from the bytes: the proxy edits one
 * member in place instead of parsing and re-serialising the body, which would round integers
 * above 2^53 and reformat everything else; capture reads `model` and `stream` without decoding a
 * large body to a string.
 */
import { RecentBodies } from './recent-bodies'

/** Where a value lies in the body: from its first byte to just past its last. */
export interface JsonSpan {
  start: number
  end: number
}

/** One member of the top-level object: its decoded key and where its value lies. */
export interface JsonMember {
  key: string
  /** Byte offset of the value's first byte. */
  valueStart: number
  /** Byte offset just past the value (its trailing whitespace excluded). */
  valueEnd: number
  /**
   * Where each element of the value lies when it is an array, else null: found in the same pass,
   * so storage can cut a body's messages apart without reading it again.
   */
  elements: JsonSpan[] | null
}

export interface TopLevelObject {
  /** Byte offset of the opening `{` (after any leading whitespace). */
  openAt: number
  /** Members in body order; a key written twice appears twice. */
  members: JsonMember[]
}

/** Returned by the scanners instead of a position when the bytes are not valid JSON. */
const INVALID = -1

const TAB = 0x09
const NEWLINE = 0x0a
const RETURN = 0x0d
const SPACE = 0x20
const QUOTE = 0x22
const PLUS = 0x2b
const COMMA = 0x2c
const MINUS = 0x2d
const DOT = 0x2e
const ZERO = 0x30
const NINE = 0x39
const COLON = 0x3a
const UPPER_E = 0x45
const OPEN_BRACKET = 0x5b
const BACKSLASH = 0x5c
const CLOSE_BRACKET = 0x5d
const LOWER_E = 0x65
const LOWER_F = 0x66
const LOWER_N = 0x6e
const LOWER_T = 0x74
const LOWER_U = 0x75
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d

const TRUE = Buffer.from('true')
const FALSE = Buffer.from('false')
const NULL = Buffer.from('null')
/** Lookup tables by byte value: what may follow a backslash (besides `u`), and hex digits. */
const SIMPLE_ESCAPE = byteTable('"\\/bfnrt')
const HEX_DIGIT = byteTable('0123456789abcdefABCDEF')

/**
 * The top-level object's members, or null when the body is not valid JSON (exactly when
 * `JSON.parse(body.toString('utf8'))` would throw) or its top-level value is not an object.
 * Strings (escapes included) and nested containers are stepped over, so a `"stream"` inside a
 * message or a tool schema is never mistaken for a top-level key. One pass, no recursion: any
 * nesting depth is fine. Read once per body: the proxy, capture and storage each ask about the
 * same bytes, which nobody changes once received. A large body that begins or ends with a recent
 * one's bytes (the next turn of a conversation) takes over what was found in them.
 */
export function topLevelMembers(body: Buffer): TopLevelObject | null {
  let object = scanned.get(body)
  if (object === undefined) {
    const shared = recentBodies.sharedWith(body)
    const earlier = shared === null ? undefined : scanned.get(shared.earlier)
    scanned.set(body, (object = scanTopLevel(body, earlier == null ? null : { earlier, prefix: shared!.prefix, suffix: shared!.suffix, shift: body.length - shared!.earlier.length })))
    releaseDeepStack()
    if (object !== null) recentBodies.remember(body, shared?.earlier ?? null)
  }
  return object
}

/**
 * What a body's scan takes over from an earlier body's: the two have their first `prefix` bytes in
 * common and their last `suffix` bytes, where the later body holds them `shift` bytes further on.
 */
export interface ScanReuse {
  earlier: TopLevelObject
  prefix: number
  suffix: number
  shift: number
}

const scanned = new WeakMap<Buffer, TopLevelObject | null>()
/** Large bodies scanned lately, whose scans a later body sharing their bytes takes over. */
const recentBodies = new RecentBodies()

/** The scan of `body`, taking over from `reuse` the members and elements that lie in the bytes it shares with the earlier body. */
export function scanTopLevel(body: Buffer, reuse: ScanReuse | null): TopLevelObject | null {
  const view = wordViewOf(body)
  const openAt = skipWhitespace(body, 0)
  if (body[openAt] !== OPEN_BRACE) return null
  const members: JsonMember[] = []
  const head = reuse === null ? null : takeOverHead(body, view, reuse, members)
  if (head === INVALID) return null
  // Just past the last member's value once there is one.
  let pos = head ?? skipWhitespace(body, openAt + 1)
  if (head === null && body[pos] === CLOSE_BRACE) return skipWhitespace(body, pos + 1) === body.length ? { openAt, members } : null
  let readsMember = head === null
  for (;;) {
    if (readsMember) {
      const keyStart = pos
      const keyEnd = body[pos] === QUOTE ? skipString(body, view, pos) : INVALID
      if (keyEnd === INVALID) return null
      pos = skipWhitespace(body, keyEnd)
      if (body[pos] !== COLON) return null
      const valueStart = skipWhitespace(body, pos + 1)
      const elements: JsonSpan[] | null = body[valueStart] === OPEN_BRACKET ? [] : null
      const valueEnd = elements === null ? skipValue(body, view, valueStart) : skipArray(body, view, valueStart, elements)
      if (valueEnd === INVALID) return null
      members.push({ key: decodeKey(body, keyStart, keyEnd), valueStart, valueEnd, elements })
      pos = valueEnd
    }
    readsMember = true
    const tail = reuse === null ? null : membersAfter(reuse, body, pos)
    if (tail !== null) {
      members.push(...tail)
      return { openAt, members }
    }
    pos = skipWhitespace(body, pos)
    if (body[pos] !== COMMA) break
    pos = skipWhitespace(body, pos + 1)
  }
  if (body[pos] !== CLOSE_BRACE) return null
  return skipWhitespace(body, pos + 1) === body.length ? { openAt, members } : null
}

/**
 * Takes the earlier scan's members, and the elements of an array member, that end in the shared
 * first bytes: a value's end, a number's included, is settled by the byte just past it, so a value
 * is taken when that byte is shared too (its end before `prefix`). The array the shared bytes end
 * in is read on from its last element taken.
 * Returns the position just past the last member's value, null when none was taken, INVALID when
 * the rest of that array is not JSON.
 */
function takeOverHead(body: Buffer, view: WordView, { earlier, prefix }: ScanReuse, members: JsonMember[]): number | null {
  if (earlier.openAt >= prefix) return null
  let pos: number | null = null
  for (const member of earlier.members) {
    if (member.valueEnd < prefix) {
      members.push(member)
      pos = member.valueEnd
      continue
    }
    const elements = member.elements
    if (elements === null || elements.length === 0 || elements[0]!.end >= prefix) break
    let count = 1
    while (count < elements.length && elements[count]!.end < prefix) count++
    const taken = elements.slice(0, count)
    const valueEnd = skipRestOfArray(body, view, taken[count - 1]!.end, taken)
    if (valueEnd === INVALID) return INVALID
    members.push({ key: member.key, valueStart: member.valueStart, valueEnd, elements: taken })
    return valueEnd
  }
  return pos
}

/**
 * The earlier scan's members after the one that ended where `pos` stands in it, moved to where they
 * lie in `body`, when the bytes from `pos` on are the earlier body's last ones (the scan would find
 * just what it found there); else null.
 */
function membersAfter({ earlier, suffix, shift }: ScanReuse, body: Buffer, pos: number): JsonMember[] | null {
  if (pos < body.length - suffix) return null
  const { members } = earlier
  const at = pos - shift
  // Members lie in body order: a binary search keeps a body of many members linear.
  let low = 0
  let high = members.length - 1
  while (low <= high) {
    const middle = (low + high) >>> 1
    const end = members[middle]!.valueEnd
    if (end === at) return members.slice(middle + 1).map((member) => (shift === 0 ? member : moved(member, shift)))
    if (end < at) low = middle + 1
    else high = middle - 1
  }
  return null
}

function moved(member: JsonMember, shift: number): JsonMember {
  return {
    key: member.key,
    valueStart: member.valueStart + shift,
    valueEnd: member.valueEnd + shift,
    elements: member.elements === null ? null : member.elements.map(({ start, end }) => ({ start: start + shift, end: end + shift })),
  }
}

/** Exactly when `JSON.parse(body.toString('utf8'))` would succeed, whatever the top-level value. */
export function isJsonText(body: Buffer): boolean {
  const end = skipValue(body, wordViewOf(body), skipWhitespace(body, 0))
  releaseDeepStack()
  return end !== INVALID && skipWhitespace(body, end) === body.length
}

/** Position just past the array at `pos` (its `[`), or INVALID; each element's span is pushed onto `elements`. */
function skipArray(body: Buffer, view: WordView, pos: number, elements: JsonSpan[]): number {
  pos = skipWhitespace(body, pos + 1)
  if (body[pos] === CLOSE_BRACKET) return pos + 1
  const end = skipValue(body, view, pos)
  if (end === INVALID) return INVALID
  elements.push({ start: pos, end })
  return skipRestOfArray(body, view, end, elements)
}

/** Position just past the array whose element ends at `pos`, or INVALID; each further element's span is pushed onto `elements`. */
function skipRestOfArray(body: Buffer, view: WordView, pos: number, elements: JsonSpan[]): number {
  for (;;) {
    pos = skipWhitespace(body, pos)
    if (body[pos] === CLOSE_BRACKET) return pos + 1
    if (body[pos] !== COMMA) return INVALID
    pos = skipWhitespace(body, pos + 1)
    const end = skipValue(body, view, pos)
    if (end === INVALID) return INVALID
    elements.push({ start: pos, end })
    pos = end
  }
}

/** A key's text; only a key with escapes (rare at the top level) pays for JSON.parse. */
function decodeKey(body: Buffer, start: number, end: number): string {
  return body.subarray(start, end).includes(BACKSLASH)
    ? (JSON.parse(body.toString('utf8', start, end)) as string)
    : body.toString('utf8', start + 1, end - 1)
}

/**
 * The closing bytes of the containers `skipValue` is inside, innermost last. One stack serves
 * every call (a call runs to its end before the next starts): a scan steps over each message of a
 * body with its own call, and a fresh stack for each was the scan's largest allocation.
 */
const closers: number[] = []

/** Deepest stack kept between calls: a hostile body's nesting does not stay in memory. */
const CLOSERS_KEPT = 1024

/** Called after each scan. */
function releaseDeepStack(): void {
  if (closers.length > CLOSERS_KEPT) closers.length = 0
}

/** Position just past the value at `pos`, or INVALID. */
function skipValue(body: Buffer, view: WordView, pos: number): number {
  let depth = 0
  for (;;) {
    // A value is expected at `pos`.
    const c = body[pos]
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      const closer = c === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET
      pos = skipWhitespace(body, pos + 1)
      if (body[pos] === closer) {
        pos++
      } else {
        closers[depth++] = closer
        if (closer === CLOSE_BRACE && (pos = skipKey(body, view, pos)) === INVALID) return INVALID
        continue
      }
    } else if ((pos = skipScalar(body, view, pos)) === INVALID) {
      return INVALID
    }
    // A value ended just before `pos`: close what ends here, then step to the next value.
    for (;;) {
      if (depth === 0) return pos
      pos = skipWhitespace(body, pos)
      if (body[pos] === closers[depth - 1]) {
        depth--
        pos++
        continue
      }
      if (body[pos] !== COMMA) return INVALID
      pos = skipWhitespace(body, pos + 1)
      if (closers[depth - 1] === CLOSE_BRACE && (pos = skipKey(body, view, pos)) === INVALID) return INVALID
      break
    }
  }
}

/** Steps over `"key" :` and the whitespace after it; the position of the member's value, or INVALID. */
function skipKey(body: Buffer, view: WordView, pos: number): number {
  if (body[pos] !== QUOTE || (pos = skipString(body, view, pos)) === INVALID) return INVALID
  pos = skipWhitespace(body, pos)
  return body[pos] === COLON ? skipWhitespace(body, pos + 1) : INVALID
}

function skipWhitespace(body: Buffer, pos: number): number {
  for (;;) {
    const c = body[pos]
    if (c !== SPACE && c !== NEWLINE && c !== RETURN && c !== TAB) return pos
    pos++
  }
}

/** Position after the string, number or literal at `pos`, or INVALID. */
function skipScalar(body: Buffer, view: WordView, pos: number): number {
  switch (body[pos]) {
    case QUOTE:
      return skipString(body, view, pos)
    case LOWER_T:
      return skipLiteral(body, pos, TRUE)
    case LOWER_F:
      return skipLiteral(body, pos, FALSE)
    case LOWER_N:
      return skipLiteral(body, pos, NULL)
    default:
      return skipNumber(body, pos)
  }
}

/**
 * The body's bytes as aligned 32-bit words, so string contents can be stepped over four bytes at a
 * time: `words[i]` holds body bytes `wordsStart + 4i` to `wordsStart + 4i + 3`.
 */
interface WordView {
  words: Uint32Array
  wordsStart: number
}

const NO_WORDS: WordView = { words: new Uint32Array(0), wordsStart: 0 }

function wordViewOf(body: Buffer): WordView {
  // Pooled Buffers start at any byte offset; a Uint32Array must start on a multiple of 4.
  const wordsStart = -body.byteOffset & 3
  if (body.length - wordsStart < 4) return NO_WORDS
  return { words: new Uint32Array(body.buffer, body.byteOffset + wordsStart, (body.length - wordsStart) >>> 2), wordsStart }
}

/**
 * The hot loop: nearly all of a request's bytes are inside strings. Whole words holding no quote,
 * backslash or control byte are skipped four bytes at a time (three times the speed of a byte
 * loop on prose); a word with one of them is walked byte by byte. Bytes from 0x80 up pass as they
 * are (UTF-8 is not validated, as JSON.parse of the decoded text would not fail on it either).
 */
function skipString(body: Buffer, view: WordView, pos: number): number {
  const { words, wordsStart } = view
  const length = body.length
  pos++
  while (pos < length) {
    if (((pos - wordsStart) & 3) === 0) {
      let index = (pos - wordsStart) >>> 2
      while (index < words.length && !hasStringSpecialByte(words[index]!)) index++
      pos = wordsStart + (index << 2)
      if (pos >= length) break
    }
    const c = body[pos++]
    if (c === QUOTE) return pos
    if (c === BACKSLASH) {
      const escape = body[pos++]
      if (escape === LOWER_U) {
        for (const end = pos + 4; pos < end; pos++) if (HEX_DIGIT[body[pos]] !== 1) return INVALID
      } else if (SIMPLE_ESCAPE[escape] !== 1) {
        return INVALID
      }
    } else if (c < SPACE) {
      return INVALID
    }
  }
  return INVALID
}

/**
 * Whether any byte of `word` is a control byte, a quote or a backslash, by the classic SWAR tests (`x - 0x01…`
 * borrows into a byte's top bit only where that byte is zero, or below the subtrahend). They never
 * miss a byte; the byte loop then decides.
 */
function hasStringSpecialByte(word: number): boolean {
  const quote = word ^ 0x22222222
  const backslash = word ^ 0x5c5c5c5c
  return ((((word - 0x20202020) & ~word) | ((quote - 0x01010101) & ~quote) | ((backslash - 0x01010101) & ~backslash)) & 0x80808080) !== 0
}

function skipNumber(body: Buffer, pos: number): number {
  if (body[pos] === MINUS) pos++
  if (body[pos] === ZERO) pos++
  else if ((pos = skipDigits(body, pos)) === INVALID) return INVALID
  if (body[pos] === DOT && (pos = skipDigits(body, pos + 1)) === INVALID) return INVALID
  if (body[pos] === LOWER_E || body[pos] === UPPER_E) {
    pos++
    if (body[pos] === PLUS || body[pos] === MINUS) pos++
    if ((pos = skipDigits(body, pos)) === INVALID) return INVALID
  }
  return pos
}

/** Position after one or more digits, or INVALID when there is none. */
function skipDigits(body: Buffer, pos: number): number {
  const start = pos
  while (body[pos] >= ZERO && body[pos] <= NINE) pos++
  return pos > start ? pos : INVALID
}

function skipLiteral(body: Buffer, pos: number, literal: Buffer): number {
  const end = pos + literal.length
  return end <= body.length && body.compare(literal, 0, literal.length, pos, end) === 0 ? end : INVALID
}

function byteTable(chars: string): Uint8Array {
  const table = new Uint8Array(256)
  for (const c of chars) table[c.charCodeAt(0)] = 1
  return table
}
