/** What capture needs from a request body before the exchange is over. */
export interface RequestBodyFacts {
  /** Exactly when `JSON.parse(text)` would succeed. */
  isJson: boolean
  /** Top-level `"model"` when it is a string, else null. */
  model: string | null
  /** Top-level `"stream": true`. */
  stream: boolean
}

// Sticky token patterns tried at the scanner's position. STRING is the "unrolled loop" form
// (runs of plain characters between escapes), linear and without backtracking blow-ups, so the
// regex engine walks string contents natively: that is where nearly all of a body's bytes are.
const STRING = /"[^"\\\u0000-\u001f]*(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\u0000-\u001f]*)*"/y
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y
const LITERAL = /true|false|null/y

const NOT_JSON: RequestBodyFacts = { isJson: false, model: null, stream: false }

const enum Char {
  Tab = 9, Newline = 10, Return = 13, Space = 32, Quote = 34, Comma = 44, Colon = 58,
  OpenBracket = 91, CloseBracket = 93, OpenBrace = 123, CloseBrace = 125,
}

/**
 * Validates `text` as JSON and reads the top-level `model` and `stream` on the way, without
 * JSON.parse: parsing a 200 KB body on the proxy's event loop would cost a third of the
 * per-request CPU budget and build a tree nobody uses. Nested keys named `model` or `stream`
 * (inside messages or tools) are ignored.
 */
export function inspectRequestBody(text: string): RequestBodyFacts {
  const length = text.length
  let pos = 0
  let model: string | null = null
  let stream = false
  /** Closing character of each open container, innermost last. */
  const closers: number[] = []
  /** Which top-level member's value is being read: only `model` and `stream` matter. */
  let topKey: 'model' | 'stream' | null = null

  const skipWhitespace = () => {
    for (;;) {
      const c = text.charCodeAt(pos)
      if (c !== Char.Space && c !== Char.Newline && c !== Char.Return && c !== Char.Tab) return
      pos++
    }
  }
  const skip = (pattern: RegExp): boolean => {
    pattern.lastIndex = pos
    if (!pattern.test(text)) return false
    pos = pattern.lastIndex
    return true
  }

  /** Reads one scalar, or opens a container whose members the main loop then reads. */
  const readValue = (): boolean => {
    skipWhitespace()
    const c = text.charCodeAt(pos)
    if (c === Char.OpenBrace || c === Char.OpenBracket) {
      closers.push(c === Char.OpenBrace ? Char.CloseBrace : Char.CloseBracket)
      pos++
      return true
    }
    const start = pos
    if (c === Char.Quote ? !skip(STRING) : !skip(NUMBER) && !skip(LITERAL)) return false
    if (topKey !== null && closers.length === 1) {
      const token = text.slice(start, pos)
      if (topKey === 'model' && c === Char.Quote) model = JSON.parse(token) as string
      else if (topKey === 'stream') stream = token === 'true'
    }
    return true
  }

  if (!readValue()) return NOT_JSON
  let isFirstMember = true
  while (closers.length > 0) {
    skipWhitespace()
    const closer = closers[closers.length - 1]
    if (text.charCodeAt(pos) === closer) {
      closers.pop()
      pos++
      isFirstMember = false
      continue
    }
    if (!isFirstMember) {
      if (text.charCodeAt(pos) !== Char.Comma) return NOT_JSON
      pos++
      skipWhitespace()
    }
    if (closer === Char.CloseBrace) {
      const keyStart = pos
      if (!skip(STRING)) return NOT_JSON
      if (closers.length === 1) topKey = topLevelKey(text, keyStart, pos)
      skipWhitespace()
      if (text.charCodeAt(pos) !== Char.Colon) return NOT_JSON
      pos++
    }
    const depth = closers.length
    if (!readValue()) return NOT_JSON
    isFirstMember = closers.length > depth
  }
  skipWhitespace()
  return pos === length ? { isJson: true, model, stream } : NOT_JSON
}

function topLevelKey(text: string, start: number, end: number): 'model' | 'stream' | null {
  if (end - start === 7 && text.startsWith('"model"', start)) return 'model'
  if (end - start === 8 && text.startsWith('"stream"', start)) return 'stream'
  return null
}
