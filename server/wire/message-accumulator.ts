/**
 * Rebuilds the final Message from Anthropic stream events, exactly as the non-streaming API would
 * have returned it. Capture uses it for the response body of a stream, demotion to answer
 * a non-streaming client from a stream.
 *
 * Tool inputs are parsed with lossless-json and the Message is written back with it, so numbers in
 * them keep their exact text (12345678901234567890 stays exact, 1.50 stays 1.50). Nothing here
 * throws on bad input: unknown events and unparseable data are ignored, an unparseable tool input
 * is kept as its raw string.
 *
 * Everything else goes through the native JSON.parse and JSON.stringify whenever they give the same
 * result. Besides being faster, they keep their compiled code: lossless-json builds its parser's
 * functions anew on every call, and V8 drops the optimised code of such functions at each full
 * garbage collection, so a parser called a few times per stream was compiled again and again.
 */
import { LosslessNumber, isSafeNumber, parse as parseLossless, stringify as stringifyLossless } from 'lossless-json'
import { isJsonObject, type JsonObject } from './json-object'
import { rawUsageOf, stopReasonOf } from './message'
import { mergeUsage, type RawUsage } from './usage'

/** An `event: error` payload's `error`, e.g. `{ type: 'overloaded_error', message: 'Overloaded' }`. */
export interface StreamError {
  type: string
  message: string
}

/** The API's key order for a Message; fields it adds later follow stop_sequence, usage stays last. */
const LEADING_KEYS = ['id', 'type', 'role', 'model', 'content', 'stop_reason', 'stop_sequence'] as const

/** Numbers that fit a double become numbers (usage, indexes); larger ones stay exact. */
const parseSafeNumber = (text: string): number | LosslessNumber => (isSafeNumber(text) ? Number(text) : new LosslessNumber(text))
/** Tool inputs are never read, only re-emitted: keep every number's text. */
const parseExactNumber = (text: string): LosslessNumber => new LosslessNumber(text)

/**
 * A number JSON.parse might not read as `parseSafeNumber` does: a fraction, an exponent, or sixteen
 * digits or more (perhaps past 2^53). Without one, every number is an integer JSON.parse reads
 * exactly. Matched in strings too: a false alarm only costs the exact parser.
 */
const INEXACT_NUMBER = /\d[.eE]|\d{16}/

export class MessageAccumulator {
  /** message_start's Message without content and usage, updated by message_delta. */
  #message: JsonObject | null = null
  #content: Array<JsonObject | undefined> = []
  /** partial_json of tool blocks, by index, until their content_block_stop. */
  #inputJson = new Map<number, string>()
  #usage: RawUsage | null = null
  #done = false
  #error: StreamError | null = null
  /** Something was parsed with lossless-json, so the Message may hold a LosslessNumber to write back as it was. */
  #hasLosslessValues = false

  /** message_stop has been seen. */
  get done(): boolean {
    return this.#done
  }

  /** The last `event: error` of the stream; null when there was none. */
  get error(): StreamError | null {
    return this.#error
  }

  get stopReason(): string | null {
    return stopReasonOf(this.#message)
  }

  /** Usage merged (last non-null value of each field, see mergeUsage) across message_start and every message_delta; null before message_start. */
  usage(): RawUsage | null {
    return this.#usage
  }

  /** Applies one SSE event: `event` is its `event:` field, `data` its data text. */
  apply(event: string | null, data: string): void {
    if (event === 'ping') return
    const payload = this.#parseEvent(event, data)
    if (event === 'error' || payload?.type === 'error') {
      this.#error = toStreamError(payload, data)
      return
    }
    if (payload === null) return
    if (payload.type === 'message_start') return this.#start(payload.message)
    if (this.#message === null) return
    switch (payload.type) {
      case 'content_block_start':
        if (isIndex(payload.index) && isJsonObject(payload.content_block)) this.#content[payload.index] = { ...payload.content_block }
        return
      case 'content_block_delta':
        if (isIndex(payload.index) && isJsonObject(payload.delta)) this.#applyDelta(payload.index, payload.delta)
        return
      case 'content_block_stop':
        if (isIndex(payload.index)) this.#finishInput(payload.index)
        return
      case 'message_delta':
        if (isJsonObject(payload.delta)) mergeDeltaFields(this.#message, payload.delta)
        this.#usage = mergeUsage(this.#usage, rawUsageOf(payload))
        return
      case 'message_stop':
        this.#done = true
        return
    }
  }

  /**
   * The Message as JSON text, null before message_start. Before message_stop it is the message so
   * far (a tool input still streaming is parsed as if its block had stopped).
   */
  toJSONText(): string | null {
    const message = this.#message
    if (message === null) return null
    const content: JsonObject[] = []
    this.#content.forEach((block, index) => {
      if (block === undefined) return
      const pending = this.#inputJson.get(index)
      content.push(pending === undefined ? block : { ...block, input: this.#parseInput(pending, block.input) })
    })
    const out: JsonObject = {}
    for (const key of LEADING_KEYS) {
      if (key === 'content') out.content = content
      else if (key in message) out[key] = message[key]
    }
    for (const [key, value] of Object.entries(message)) if (!(key in out)) out[key] = value
    if (this.#usage !== null) out.usage = this.#usage
    return (this.#hasLosslessValues ? stringifyLossless(out) : JSON.stringify(out)) ?? null
  }

  /**
   * Text and thinking deltas are most of a stream and hold no number worth keeping exact: plain
   * JSON.parse. So is any event whose numbers are all integers JSON.parse reads exactly (usage,
   * indexes). The others go through lossless-json, so an integer above 2^53 in a block sent whole
   * (content_block_start) survives.
   */
  #parseEvent(event: string | null, data: string): JsonObject | null {
    try {
      let value: unknown
      if (event === 'content_block_delta' || !INEXACT_NUMBER.test(data)) value = JSON.parse(data)
      else {
        value = parseLossless(data, null, parseSafeNumber)
        this.#hasLosslessValues = true
      }
      return isJsonObject(value) ? value : null
    } catch {
      return null
    }
  }

  /** Empty partial JSON keeps the input from content_block_start; invalid JSON is kept as its raw text. */
  #parseInput(buffer: string, startInput: unknown): unknown {
    if (buffer.trim() === '') return startInput ?? {}
    try {
      const input = parseLossless(buffer, null, parseExactNumber)
      this.#hasLosslessValues = true
      return input
    } catch {
      return buffer
    }
  }

  #start(message: unknown): void {
    if (!isJsonObject(message)) return
    const { content: _content, usage: _usage, ...fields } = message
    this.#message = fields
    this.#content = []
    this.#inputJson.clear()
    this.#usage = mergeUsage(null, rawUsageOf(message))
    this.#done = false
  }

  #applyDelta(index: number, delta: JsonObject): void {
    const block = this.#content[index]
    if (block === undefined) return
    switch (delta.type) {
      case 'text_delta':
        if (typeof delta.text === 'string') block.text = (typeof block.text === 'string' ? block.text : '') + delta.text
        return
      case 'input_json_delta':
        if (typeof delta.partial_json === 'string') this.#inputJson.set(index, (this.#inputJson.get(index) ?? '') + delta.partial_json)
        return
      case 'thinking_delta':
        if (typeof delta.thinking === 'string') block.thinking = (typeof block.thinking === 'string' ? block.thinking : '') + delta.thinking
        return
      case 'signature_delta':
        if (typeof delta.signature === 'string') block.signature = delta.signature
        return
      case 'citations_delta':
        if (Array.isArray(block.citations)) block.citations.push(delta.citation)
        else block.citations = [delta.citation]
        return
      case 'compaction_delta':
        // The delta carries the block's final value (null = failed compaction), so it is assigned.
        block.content = delta.content
        if ('encrypted_content' in delta) block.encrypted_content = delta.encrypted_content
        return
    }
  }

  #finishInput(index: number): void {
    const buffer = this.#inputJson.get(index)
    const block = this.#content[index]
    if (buffer === undefined || block === undefined) return
    this.#inputJson.delete(index)
    block.input = this.#parseInput(buffer, block.input)
  }
}

/** message_delta fields override when non-null; a null one only fills a field not yet present. */
function mergeDeltaFields(message: JsonObject, delta: JsonObject): void {
  for (const [key, value] of Object.entries(delta)) {
    if (value !== null || !(key in message)) message[key] = value
  }
}

function toStreamError(payload: JsonObject | null, data: string): StreamError {
  const error = payload?.error
  if (!isJsonObject(error)) return { type: 'api_error', message: data }
  return {
    type: typeof error.type === 'string' ? error.type : 'api_error',
    message: typeof error.message === 'string' ? error.message : '',
  }
}

function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0
}
