/** What capture needs from a request body before the exchange is over. */
export interface RequestBodyFacts {
  /** Exactly when `JSON.parse(body.toString('utf8'))` would succeed. */
  isJson: boolean
  /** Top-level `"model"` when it is a string, else null. */
  model: string | null
  /** Top-level `"stream": true`. */
  stream: boolean
}

const NOT_JSON: RequestBodyFacts = { isJson: false, model: null, stream: false }
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
const OPEN_BRACKET = 0x5b
const BACKSLASH = 0x5c
const CLOSE_BRACKET = 0x5d
const LOWER_T = 0x74
const LOWER_F = 0x66
const LOWER_N = 0x6e
const LOWER_U = 0x75
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d

const TRUE = Buffer.from('true')
const FALSE = Buffer.from('false')
const NULL = Buffer.from('null')
const MODEL_KEY = Buffer.from('"model"')
const STREAM_KEY = Buffer.from('"stream"')
/** Lookup tables by byte value: what may follow a backslash (besides `u`), and hex digits. */
const SIMPLE_ESCAPE = byteTable('"\\/bfnrt')
const HEX_DIGIT = byteTable('0123456789abcdefABCDEF')

/**
 * Validates a request body as JSON and reads its top-level `model` and `stream` on the way,
 * straight from the bytes. Decoding a 200 KB body to a string costs over a millisecond of CPU
 * (V8 allocates strings that large in its large-object space) and JSON.parse would then build a
 * tree nobody uses; one pass over the bytes costs a fraction of either. Nested keys named `model`
 * or `stream` (inside messages or tools) are ignored.
 */
export function inspectRequestBody(body: Buffer): RequestBodyFacts {
  let model: string | null = null
  let stream = false
  /** Closing byte of each open container, innermost last. */
  const closers: number[] = []
  let pos = skipWhitespace(body, 0)
  let isFirstMember = true
  for (;;) {
    // Here a value is expected: a container opens, anything else is a scalar.
    const c = body[pos]
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      closers.push(c === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET)
      pos = skipWhitespace(body, pos + 1)
      isFirstMember = true
    } else {
      const end = skipScalar(body, pos)
      if (end === INVALID) return NOT_JSON
      pos = skipWhitespace(body, end)
      isFirstMember = false
    }
    // Close what ends here, then step to the next member's value.
    for (;;) {
      if (closers.length === 0) return pos === body.length ? { isJson: true, model, stream } : NOT_JSON
      const closer = closers[closers.length - 1]
      if (body[pos] === closer) {
        closers.pop()
        pos = skipWhitespace(body, pos + 1)
        isFirstMember = false
        continue
      }
      if (!isFirstMember) {
        if (body[pos] !== COMMA) return NOT_JSON
        pos = skipWhitespace(body, pos + 1)
      }
      break
    }
    if (closers[closers.length - 1] === CLOSE_BRACE) {
      const keyStart = pos
      const keyEnd = body[pos] === QUOTE ? skipString(body, pos) : INVALID
      if (keyEnd === INVALID) return NOT_JSON
      pos = skipWhitespace(body, keyEnd)
      if (body[pos] !== COLON) return NOT_JSON
      pos = skipWhitespace(body, pos + 1)
      if (closers.length === 1) {
        const key = topLevelKey(body, keyStart, keyEnd)
        if (key !== null) {
          // Read the scalar here; the loop above will step over it again.
          const end = skipScalar(body, pos)
          if (end === INVALID) return NOT_JSON
          if (key === 'model' && body[pos] === QUOTE) model = JSON.parse(body.toString('utf8', pos, end)) as string
          if (key === 'stream') stream = body[pos] === LOWER_T
        }
      }
    }
  }
}

function skipWhitespace(body: Buffer, pos: number): number {
  for (;;) {
    const c = body[pos]
    if (c !== SPACE && c !== NEWLINE && c !== RETURN && c !== TAB) return pos
    pos++
  }
}

/** Position after the string, number or literal at `pos`, or INVALID. */
function skipScalar(body: Buffer, pos: number): number {
  switch (body[pos]) {
    case QUOTE:
      return skipString(body, pos)
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

/** The hot loop: nearly all of a body's bytes are inside strings. */
function skipString(body: Buffer, pos: number): number {
  const length = body.length
  pos++
  while (pos < length) {
    const c = body[pos++]
    if (c === QUOTE) return pos
    if (c === BACKSLASH) {
      const escape = body[pos++]
      if (escape === LOWER_U) {
        for (let end = pos + 4; pos < end; pos++) if (HEX_DIGIT[body[pos]] !== 1) return INVALID
      } else if (SIMPLE_ESCAPE[escape] !== 1) {
        return INVALID
      }
    } else if (c < SPACE) {
      return INVALID
    }
  }
  return INVALID
}

function skipNumber(body: Buffer, pos: number): number {
  if (body[pos] === MINUS) pos++
  if (body[pos] === ZERO) pos++
  else if ((pos = skipDigits(body, pos)) === INVALID) return INVALID
  if (body[pos] === DOT && (pos = skipDigits(body, pos + 1)) === INVALID) return INVALID
  if (body[pos] === 0x65 || body[pos] === 0x45) {
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

function topLevelKey(body: Buffer, start: number, end: number): 'model' | 'stream' | null {
  if (end - start === MODEL_KEY.length && body.compare(MODEL_KEY, 0, MODEL_KEY.length, start, end) === 0) return 'model'
  if (end - start === STREAM_KEY.length && body.compare(STREAM_KEY, 0, STREAM_KEY.length, start, end) === 0) return 'stream'
  return null
}

function byteTable(chars: string): Uint8Array {
  const table = new Uint8Array(256)
  for (const c of chars) table[c.charCodeAt(0)] = 1
  return table
}
