/**
 * A Chat Completions stream (`chat.completion.chunk` events, then `data: [DONE]`) rewritten, one
 * event at a time, as the Anthropic stream a client of /v1/messages expects: message_start and a
 * ping first, then per content block content_block_start, its deltas and content_block_stop (text
 * as text_delta, each tool call as a tool_use block whose streamed arguments are input_json_delta),
 * one block open at a time as the API does, then message_delta with stop_reason and usage, and
 * message_stop.
 *
 * Usage comes from the provider's last chunk (asked for with `stream_options.include_usage`),
 * after the chunk carrying finish_reason, so the message ends at `[DONE]` (or when the bytes end
 * after a finish_reason, for servers that omit `[DONE]`). A stream cut before any finish_reason
 * ends with an `error` event, so SDK clients raise instead of keeping half an answer.
 *
 * Pure: it takes each SSE event's data and returns the events to write. Argument fragments are
 * passed through as the strings they are, so no number in them is ever parsed.
 */
import { errorEnvelopeJson, type AnthropicError } from '../error-envelope'
import { isJsonObject, type JsonObject } from '../json-object'
import { toAnthropicUsage, toStopReason } from './chat-usage'
import { providerErrorMessage } from './chat-error'
import type { RawUsage } from '../usage'

/** One Anthropic SSE event: its `event:` type and its `data:` JSON text. */
export interface AnthropicEvent {
  event: string
  data: string
}

export interface ChatStreamOptions {
  /** Named in message_start when the provider's chunks name no model. */
  model: string
  /** Named in the messages of error events. */
  provider: string
}

type OpenBlock = { kind: 'text' } | { kind: 'tool'; callIndex: number }

const ZERO_USAGE: RawUsage = { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 }

export class ChatStreamTranslator {
  readonly #options: ChatStreamOptions
  #started = false
  #done = false
  /** Blocks started so far; the next one gets this index. */
  #blockCount = 0
  #open: OpenBlock | null = null
  /** Tool calls by the provider's `index`, each with its block index. */
  readonly #toolBlocks = new Map<number, number>()
  #finishReason: unknown = undefined
  #usage: RawUsage | null = null
  #lateFragments = 0

  constructor(options: ChatStreamOptions) {
    this.#options = options
  }

  /** message_stop or an error event has been produced: nothing more will be. */
  get done(): boolean {
    return this.#done
  }

  /**
   * Argument fragments that arrived for a tool call whose block was already closed (another call
   * had started since). OpenAI streams calls one after the other, so this stays 0; a server that
   * interleaves them loses those fragments, and this counts them.
   */
  get lateFragments(): number {
    return this.#lateFragments
  }

  /** The data of one provider SSE event; returns the Anthropic events it makes (often one, sometimes none). */
  push(data: string): AnthropicEvent[] {
    if (this.#done) return []
    if (data.trim() === '[DONE]') return this.#finish()
    let chunk: unknown
    try {
      chunk = JSON.parse(data)
    } catch {
      // Not JSON (a keep-alive, a comment some servers send as data): nothing to say.
      return []
    }
    if (!isJsonObject(chunk)) return []
    const out: AnthropicEvent[] = []
    if (chunk.error !== undefined) return this.#errorEvent({ type: 'api_error', message: `${this.#options.provider}: ${providerErrorMessage(chunk) ?? data}` })
    this.#start(chunk, out)
    const choices = Array.isArray(chunk.choices) ? chunk.choices.filter(isJsonObject) : []
    // One answer is asked for; other choices (n > 1) have no place in an Anthropic message.
    const choice = choices.find((c) => c.index === 0 || c.index === undefined)
    if (choice !== undefined) {
      const delta = isJsonObject(choice.delta) ? choice.delta : {}
      if (typeof delta.content === 'string' && delta.content !== '') this.#text(delta.content, out)
      if (typeof delta.refusal === 'string' && delta.refusal !== '') this.#text(delta.refusal, out)
      if (Array.isArray(delta.tool_calls)) for (const call of delta.tool_calls) if (isJsonObject(call)) this.#toolCall(call, out)
      if (choice.finish_reason !== undefined && choice.finish_reason !== null) this.#finishReason = choice.finish_reason
    }
    const usage = toAnthropicUsage(chunk.usage)
    if (usage !== null) this.#usage = usage
    return out
  }

  /**
   * The provider's bytes have ended: the closing events when a finish_reason was seen and no
   * `[DONE]` came, an error event when the stream was cut before, nothing when it had finished.
   */
  end(): AnthropicEvent[] {
    if (this.#done) return []
    if (this.#finishReason !== undefined) return this.#finish()
    return this.#errorEvent({ type: 'api_error', message: `${this.#options.provider}: the stream ended before the answer was finished` })
  }

  #start(chunk: JsonObject, out: AnthropicEvent[]): void {
    if (this.#started) return
    this.#started = true
    const message = {
      id: typeof chunk.id === 'string' ? chunk.id : '',
      type: 'message',
      role: 'assistant',
      model: typeof chunk.model === 'string' && chunk.model !== '' ? chunk.model : this.#options.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: ZERO_USAGE,
    }
    out.push(event('message_start', { type: 'message_start', message }), event('ping', { type: 'ping' }))
  }

  #text(text: string, out: AnthropicEvent[]): void {
    if (this.#open?.kind !== 'text') this.#openBlock({ kind: 'text' }, { type: 'text', text: '' }, out)
    out.push(event('content_block_delta', { type: 'content_block_delta', index: this.#blockCount - 1, delta: { type: 'text_delta', text } }))
  }

  /** A tool-call delta: its first fragment (id and name) opens a tool_use block, argument text follows as input_json_delta. */
  #toolCall(call: JsonObject, out: AnthropicEvent[]): void {
    const callIndex = typeof call.index === 'number' ? call.index : 0
    const fn = isJsonObject(call.function) ? call.function : {}
    let blockIndex = this.#toolBlocks.get(callIndex)
    if (blockIndex === undefined) {
      const block = { type: 'tool_use', id: typeof call.id === 'string' ? call.id : '', name: typeof fn.name === 'string' ? fn.name : '', input: {} }
      blockIndex = this.#openBlock({ kind: 'tool', callIndex }, block, out)
      this.#toolBlocks.set(callIndex, blockIndex)
    }
    const fragment = typeof fn.arguments === 'string' ? fn.arguments : ''
    if (fragment === '') return
    if (this.#open?.kind !== 'tool' || this.#open.callIndex !== callIndex) {
      this.#lateFragments++
      return
    }
    out.push(event('content_block_delta', { type: 'content_block_delta', index: blockIndex, delta: { type: 'input_json_delta', partial_json: fragment } }))
  }

  /** Closes the open block, if any, and starts `block`; returns its index. */
  #openBlock(open: OpenBlock, block: JsonObject, out: AnthropicEvent[]): number {
    this.#closeBlock(out)
    const index = this.#blockCount++
    this.#open = open
    out.push(event('content_block_start', { type: 'content_block_start', index, content_block: block }))
    return index
  }

  #closeBlock(out: AnthropicEvent[]): void {
    if (this.#open === null) return
    this.#open = null
    out.push(event('content_block_stop', { type: 'content_block_stop', index: this.#blockCount - 1 }))
  }

  #finish(): AnthropicEvent[] {
    const out: AnthropicEvent[] = []
    this.#start({}, out)
    this.#closeBlock(out)
    this.#done = true
    const delta = { stop_reason: toStopReason(this.#finishReason) ?? 'end_turn', stop_sequence: null }
    out.push(
      event('message_delta', { type: 'message_delta', delta, usage: this.#usage ?? ZERO_USAGE }),
      event('message_stop', { type: 'message_stop' }),
    )
    return out
  }

  #errorEvent(error: AnthropicError): AnthropicEvent[] {
    this.#done = true
    return [{ event: 'error', data: errorEnvelopeJson(error) }]
  }
}

function event(type: string, payload: unknown): AnthropicEvent {
  return { event: type, data: JSON.stringify(payload) }
}
