import { isInteger, isSafeNumber, parse as parseLossless } from 'lossless-json'
import type { JsonValue } from '../graphql/graphql'
import { isBlock, isObject, type ContentBlock, type JsonObject } from './content'

/** One SSE event of a response as the live subscription delivers it. */
export interface LiveChunk {
  /** 0-based order within the response; a chunk already applied is recognised by it. */
  seq: number
  event: string | null
  data: string
  offsetMs: number
}

/** The response so far, in the shapes the block components render. */
export interface LiveMessageState {
  /**
   * Content blocks in index order. A tool call whose input is still arriving carries the partial
   * JSON text as its `input` (a string), replaced by the parsed input once its block stops.
   */
  blocks: JsonValue[]
  /** Index of the block that is receiving deltas, null between blocks. */
  activeIndex: number | null
  stopReason: string | null
  outputTokens: number | null
  /** message_stop arrived. */
  done: boolean
  /** The stream's `event: error`, e.g. `overloaded_error: Overloaded`. */
  error: string | null
}

/**
 * Folds a Messages API stream into its content blocks, chunk by chunk, the way the server's wire
 * accumulator rebuilds the final Message, but keeping what is useful to watch: the text, thinking
 * and tool input so far. Pure and tolerant: malformed or unknown events are ignored, and a chunk
 * given twice (a subscription that replays its backlog after a reconnection) is applied once.
 * Each change replaces the changed block with a new object, so views keyed on it re-render.
 */
export class LiveMessage {
  #blocks: Array<ContentBlock | undefined> = []
  /** partial_json of tool inputs still arriving, by block index. */
  #inputJson = new Map<number, string>()
  #lastSeq = -1
  #state: LiveMessageState = { blocks: [], activeIndex: null, stopReason: null, outputTokens: null, done: false, error: null }

  get state(): LiveMessageState {
    return this.#state
  }

  /** Applies one chunk; false when it was applied before (or is older than one applied). */
  apply(chunk: LiveChunk): boolean {
    if (chunk.seq <= this.#lastSeq) return false
    this.#lastSeq = chunk.seq
    if (chunk.event === 'ping') return true
    const payload = parse(chunk.event, chunk.data)
    if (payload === null) return true
    const state = { ...this.#state }
    switch (payload.type) {
      case 'message_start':
        this.#blocks = []
        this.#inputJson.clear()
        Object.assign(state, { activeIndex: null, stopReason: null, done: false, error: null })
        break
      case 'content_block_start':
        if (isIndex(payload.index) && isBlock(payload.content_block)) {
          this.#blocks[payload.index] = { ...payload.content_block }
          state.activeIndex = payload.index
        }
        break
      case 'content_block_delta':
        if (isIndex(payload.index) && isObject(payload.delta)) this.#applyDelta(payload.index, payload.delta)
        break
      case 'content_block_stop':
        if (isIndex(payload.index)) this.#finishInput(payload.index)
        state.activeIndex = null
        break
      case 'message_delta': {
        const delta = isObject(payload.delta) ? payload.delta : {}
        if (typeof delta.stop_reason === 'string') state.stopReason = delta.stop_reason
        const usage = isObject(payload.usage) ? payload.usage : {}
        if (typeof usage.output_tokens === 'number') state.outputTokens = usage.output_tokens
        break
      }
      case 'message_stop':
        state.done = true
        break
      case 'error': {
        const error = isObject(payload.error) ? payload.error : {}
        state.error = `${typeof error.type === 'string' ? error.type : 'error'}: ${typeof error.message === 'string' ? error.message : chunk.data}`
        break
      }
      default:
        return true
    }
    state.blocks = this.#blocks.flatMap((block) => (block ? [block] : []))
    this.#state = state
    return true
  }

  #applyDelta(index: number, delta: JsonObject): void {
    const block = this.#blocks[index]
    if (block === undefined) return
    const appended = (field: string, text: JsonValue | undefined) => (typeof text === 'string' ? { ...block, [field]: (typeof block[field] === 'string' ? block[field] : '') + text } : block)
    switch (delta.type) {
      case 'text_delta':
        this.#blocks[index] = appended('text', delta.text)
        return
      case 'thinking_delta':
        this.#blocks[index] = appended('thinking', delta.thinking)
        return
      case 'signature_delta':
        if (typeof delta.signature === 'string') this.#blocks[index] = { ...block, signature: delta.signature }
        return
      case 'citations_delta':
        if (delta.citation !== undefined) this.#blocks[index] = { ...block, citations: [...(Array.isArray(block.citations) ? block.citations : []), delta.citation] }
        return
      case 'input_json_delta':
        if (typeof delta.partial_json !== 'string') return
        this.#inputJson.set(index, (this.#inputJson.get(index) ?? '') + delta.partial_json)
        this.#blocks[index] = { ...block, input: this.#inputJson.get(index)! }
        return
    }
  }

  /** A tool input is parsed once whole; an empty one keeps the input its block started with. */
  #finishInput(index: number): void {
    const json = this.#inputJson.get(index)
    const block = this.#blocks[index]
    if (json === undefined || block === undefined) return
    this.#inputJson.delete(index)
    this.#blocks[index] = { ...block, input: json.trim() === '' ? {} : parseOr(json, json) }
  }
}

/** Numbers as numbers (indexes, token counts), except integers beyond 2^53 (tool inputs), kept exact as bigint. */
const parseNumber = (text: string): number | bigint => (isInteger(text) && !isSafeNumber(text) ? BigInt(text) : Number(text))

/** JSON text with exact big integers; `fallback` when it is not JSON (a tool input cut short stays its text). */
function parseOr(text: string, fallback: JsonValue): JsonValue {
  try {
    return parseLossless(text, null, parseNumber) as JsonValue
  } catch {
    return fallback
  }
}

/** Deltas are most of a stream and carry no number worth keeping exact: plain JSON.parse for them. */
function parse(event: string | null, data: string): JsonObject | null {
  let value: JsonValue
  try {
    value = event === 'content_block_delta' ? (JSON.parse(data) as JsonValue) : parseOr(data, null)
  } catch {
    return null
  }
  return isObject(value) && typeof value.type === 'string' ? value : null
}

function isIndex(value: JsonValue | undefined): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < 10_000
}
