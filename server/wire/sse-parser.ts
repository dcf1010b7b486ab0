/**
 * Incremental Server-Sent Events parser (WHATWG HTML, "Parsing an event stream") fed with buffers
 * exactly as read from the socket. Events may be split anywhere: inside a multi-byte UTF-8
 * character, between `\r` and `\n`, inside a field name. Lines have no length limit.
 *
 * It works on bytes: line terminators are ASCII and never occur inside a UTF-8 sequence, so a line
 * is only decoded once it is complete, and a character split across reads survives. The common
 * case (a read holding whole lines) costs one indexOf per terminator and one decode per field value.
 *
 * Lines have no length limit unless `maxLineBytes` is given: then a line growing past it is no
 * longer buffered, and the event it belongs to is dropped whole (counted in `droppedEvents`), so a
 * hostile stream cannot grow the parser without bound.
 */

export interface SseParserOptions {
  /** Longest line buffered (bytes, terminator excluded); a longer one drops its event. @default unbounded */
  maxLineBytes?: number
}

/** One dispatched event. */
export interface SseEvent {
  /** Value of the `event:` field; null when the event had none (or an empty one). */
  event: string | null
  /** The `data:` lines joined with `\n`. */
  data: string
  /** Value of this event's `id:` field, null when it had none. */
  id: string | null
  /**
   * Bytes of the event on the wire, from the end of the previous event through its terminating
   * blank line: field lines, comment lines and terminators included. Lines that dispatched nothing
   * (comment-only blocks, a BOM, the `\n` of a `\r\n` split across reads after a dispatch) count
   * towards the next event, so the sizes of all events add up to the bytes consumed.
   */
  bytes: number
}

const LF = 0x0a
const CR = 0x0d
const COLON = 0x3a
const SPACE = 0x20
const BOM = Buffer.from([0xef, 0xbb, 0xbf])
const EMPTY = Buffer.alloc(0)

/** Field names as bytes, compared before anything is decoded. */
const FIELD_DATA = Buffer.from('data')
const FIELD_EVENT = Buffer.from('event')
const FIELD_ID = Buffer.from('id')
const FIELD_RETRY = Buffer.from('retry')

export class SseParser {
  readonly #onEvent: (event: SseEvent) => void
  /** Bytes of a line not yet terminated, across reads. */
  #partial: Buffer[] = []
  #partialBytes = 0
  /** The previous read ended with `\r`: a leading `\n` in the next read belongs to that terminator. */
  #pendingLf = false
  #atStreamStart = true
  #eventBytes = 0
  #data: string | null = null
  #eventType: string | null = null
  #id: string | null = null
  #retryMs: number | null = null
  readonly #maxLineBytes: number
  /** The current line outgrew maxLineBytes: its bytes are skipped until its terminator. */
  #isSkippingLine = false
  /** The current event lost a line: it is dropped at its blank line instead of dispatched. */
  #isEventDropped = false
  #droppedEvents = 0

  constructor(onEvent: (event: SseEvent) => void, options: SseParserOptions = {}) {
    this.#onEvent = onEvent
    this.#maxLineBytes = options.maxLineBytes ?? Number.POSITIVE_INFINITY
  }

  /** Bytes of an unterminated line held across reads. */
  get bufferedBytes(): number {
    return this.#partialBytes
  }

  /** Events dropped because one of their lines outgrew `maxLineBytes`. */
  get droppedEvents(): number {
    return this.#droppedEvents
  }

  /** Last valid `retry:` value in milliseconds, null until one arrives. */
  get retryMs(): number | null {
    return this.#retryMs
  }

  push(chunk: Buffer): void {
    let pos = 0
    const length = chunk.length
    if (length === 0) return
    if (this.#pendingLf) {
      this.#pendingLf = false
      if (chunk[0] === LF) {
        pos = 1
        this.#eventBytes += 1
      }
    }
    // Next terminator positions, found once and reused until passed (a read without `\r` costs one scan).
    let nextLf = chunk.indexOf(LF, pos)
    let nextCr = chunk.indexOf(CR, pos)
    while (pos < length) {
      if (nextLf !== -1 && nextLf < pos) nextLf = chunk.indexOf(LF, pos)
      if (nextCr !== -1 && nextCr < pos) nextCr = chunk.indexOf(CR, pos)
      const end = nextCr === -1 ? nextLf : nextLf === -1 ? nextCr : Math.min(nextLf, nextCr)
      if (end === -1) {
        this.#keepPartial(chunk.subarray(pos))
        return
      }
      let terminatorBytes = 1
      if (chunk[end] === CR) {
        if (end + 1 < length) {
          if (chunk[end + 1] === LF) terminatorBytes = 2
        } else {
          this.#pendingLf = true
        }
      }
      this.#eventBytes += this.#partialBytes + end - pos + terminatorBytes
      if (this.#isSkippingLine || this.#partialBytes + end - pos > this.#maxLineBytes) {
        this.#skipLine()
        pos = end + terminatorBytes
        continue
      }
      const line = this.#takeLine(chunk, pos, end)
      pos = end + terminatorBytes
      this.#processLine(line)
    }
  }

  /** Holds the start of an unterminated line, or drops it once it outgrows maxLineBytes. */
  #keepPartial(piece: Buffer): void {
    if (this.#isSkippingLine) return
    if (this.#partialBytes + piece.length > this.#maxLineBytes) {
      this.#isSkippingLine = true
      this.#isEventDropped = true
      this.#partial = []
      this.#partialBytes = 0
      return
    }
    this.#partial.push(piece)
    this.#partialBytes += piece.length
  }

  /** The terminator of an over-long line: its event is dropped. */
  #skipLine(): void {
    this.#isSkippingLine = false
    this.#isEventDropped = true
    this.#partial = []
    this.#partialBytes = 0
    this.#atStreamStart = false
  }

  /**
   * Marks the end of the stream. As the SSE spec says, an event without its terminating blank
   * line is discarded, and so is an unterminated last line. The parser is then ready for a new stream.
   */
  end(): void {
    this.#partial = []
    this.#partialBytes = 0
    this.#pendingLf = false
    this.#atStreamStart = true
    this.#eventBytes = 0
    this.#resetEvent()
    this.#retryMs = null
    this.#isSkippingLine = false
    this.#isEventDropped = false
  }

  #takeLine(chunk: Buffer, start: number, end: number): Buffer {
    let line: Buffer
    if (this.#partialBytes === 0) {
      line = start === end ? EMPTY : chunk.subarray(start, end)
    } else {
      this.#partial.push(chunk.subarray(start, end))
      line = Buffer.concat(this.#partial, this.#partialBytes + end - start)
      this.#partial = []
      this.#partialBytes = 0
    }
    if (this.#atStreamStart) {
      this.#atStreamStart = false
      if (line.length >= 3 && line[0] === BOM[0] && line[1] === BOM[1] && line[2] === BOM[2]) line = line.subarray(3)
    }
    return line
  }

  #processLine(line: Buffer): void {
    if (line.length === 0) return this.#dispatch()
    if (line[0] === COLON) return
    let nameEnd = line.indexOf(COLON)
    let valueStart: number
    if (nameEnd === -1) {
      nameEnd = line.length
      valueStart = line.length
    } else {
      valueStart = line[nameEnd + 1] === SPACE ? nameEnd + 2 : nameEnd + 1
    }
    if (isField(line, nameEnd, FIELD_DATA)) {
      const value = line.toString('utf8', valueStart)
      this.#data = this.#data === null ? value : `${this.#data}\n${value}`
    } else if (isField(line, nameEnd, FIELD_EVENT)) {
      this.#eventType = line.toString('utf8', valueStart)
    } else if (isField(line, nameEnd, FIELD_ID)) {
      // An id containing NUL is ignored (spec).
      if (line.indexOf(0, valueStart) === -1) this.#id = line.toString('utf8', valueStart)
    } else if (isField(line, nameEnd, FIELD_RETRY)) {
      const value = line.toString('latin1', valueStart)
      if (/^[0-9]+$/.test(value)) this.#retryMs = Number(value)
    }
  }

  #dispatch(): void {
    if (this.#isEventDropped) {
      this.#isEventDropped = false
      this.#droppedEvents++
      this.#eventBytes = 0
      return this.#resetEvent()
    }
    if (this.#data === null) {
      // Nothing to dispatch: the spec resets the event type; bytes carry over to the next event.
      this.#eventType = null
      this.#id = null
      return
    }
    const event: SseEvent = {
      event: this.#eventType === '' ? null : this.#eventType,
      data: this.#data,
      id: this.#id,
      bytes: this.#eventBytes,
    }
    this.#eventBytes = 0
    this.#resetEvent()
    this.#onEvent(event)
  }

  #resetEvent(): void {
    this.#data = null
    this.#eventType = null
    this.#id = null
  }
}

function isField(line: Buffer, nameEnd: number, name: Buffer): boolean {
  if (nameEnd !== name.length) return false
  for (let i = 0; i < nameEnd; i++) if (line[i] !== name[i]) return false
  return true
}
