/**
 * Anthropic Messages API responses in their exact wire form, shared by the mock upstream and the
 * wire tests. Each kind is written once as a list of blocks with their stream plan (how the API
 * would split it into deltas); the non-streaming Message JSON and the SSE events are both derived
 * from it, so accumulating a fixture's events must yield exactly its Message JSON text.
 * Numbers that do not fit a double (the tool-input integer) are LosslessNumbers and serialised
 * with lossless-json, the way the API writes them.
 */
import { LosslessNumber, parse, stringify } from 'lossless-json'

export type JsonObject = { [key: string]: unknown }

/** An integer above 2^53 that the API may put in a tool input; JSON.parse would round it. */
export const BIG_INTEGER_TEXT = '12345678901234567890'
export const DEFAULT_MODEL = 'claude-sonnet-4-6'

/** One SSE event as the API frames it: `event: <event>\ndata: <data>\n\n`. */
export interface SseFixtureEvent {
  event: string
  data: string
}

export type MessageKind = 'text' | 'tool-use' | 'thinking' | 'citations' | 'server-tool'
export const MESSAGE_KINDS: readonly MessageKind[] = ['text', 'tool-use', 'thinking', 'citations', 'server-tool']

export interface MessageFixture {
  /** The Message as the non-streaming API returns it, as JSON text. */
  json: string
  /** The same Message as a stream: message_start … message_stop. */
  events: SseFixtureEvent[]
}

export interface MessageFixtureOptions {
  /** @default 'msg_01XFDUDYJgAACzvnptvVoYEL' */
  id?: string
  /** @default DEFAULT_MODEL */
  model?: string
  /** Replaces the text of a `text` message (the benchmark's fixed response size). */
  text?: string
  /** Number of text_delta events the text of a `text` message is split into. @default 4 */
  textDeltas?: number
}

/** A content block and the events that stream it. */
interface BlockPlan {
  final: JsonObject
  start: JsonObject
  deltas: JsonObject[]
}

/** Text with multi-byte UTF-8 (2, 3 and 4 bytes) so byte-level splits land inside characters. */
export const SAMPLE_TEXT_PIECES = ['Bonjour ! Voilà', ' un café ☕ très', ' naïf, 日本語', ' et un sourire 😀.']

export function frameSse(events: readonly SseFixtureEvent[]): string {
  let out = ''
  for (const e of events) out += `event: ${e.event}\ndata: ${e.data}\n\n`
  return out
}

/** Builds the Message JSON and its SSE events for one response kind. */
export function messageFixture(kind: MessageKind, options: MessageFixtureOptions = {}): MessageFixture {
  const id = options.id ?? 'msg_01XFDUDYJgAACzvnptvVoYEL'
  const model = options.model ?? DEFAULT_MODEL
  switch (kind) {
    case 'text': {
      const pieces = options.text === undefined ? SAMPLE_TEXT_PIECES : splitEvenly(options.text, options.textDeltas ?? 4)
      return buildFixture(id, model, [textBlock(pieces)], 'end_turn', usage({ output: 42 }))
    }
    case 'tool-use':
      return buildFixture(
        id,
        model,
        [
          textBlock(['I will look up', ' that account.']),
          toolUseBlock('toolu_01A09q90qw90lq917835lq9', 'get_account', [
            '',
            '{"account_id": 1234567',
            '8901234567890, "quer',
            'y": "café ☕", "limit": 1.50',
            ', "tags": ["a", "b"]}',
          ]),
        ],
        'tool_use',
        usage({ output: 87 }),
      )
    case 'thinking':
      return buildFixture(
        id,
        model,
        [
          {
            final: { type: 'thinking', thinking: 'The user greets me. I should answer politely.', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds' },
            start: { type: 'thinking', thinking: '', signature: '' },
            deltas: [
              { type: 'thinking_delta', thinking: 'The user greets me.' },
              { type: 'thinking_delta', thinking: ' I should answer politely.' },
              { type: 'signature_delta', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds' },
            ],
          },
          staticBlock({ type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP' }),
          textBlock(['Hello! ', 'How can I help?']),
        ],
        'end_turn',
        usage({ output: 120, thinkingTokens: 64 }),
      )
    case 'citations':
      return buildFixture(
        id,
        model,
        [
          {
            final: {
              type: 'text',
              text: 'The grass is green.',
              citations: [SAMPLE_CITATION],
            },
            start: { type: 'text', text: '' },
            deltas: [
              { type: 'citations_delta', citation: SAMPLE_CITATION },
              { type: 'text_delta', text: 'The grass ' },
              { type: 'text_delta', text: 'is green.' },
            ],
          },
        ],
        'end_turn',
        usage({ output: 31 }),
      )
    case 'server-tool':
      return buildFixture(
        id,
        model,
        [
          toolUseBlock('srvtoolu_014hJH82Qum7Td6UV8gDXThB', 'web_search', ['', '{"query": "weather ', 'in Paris"}'], 'server_tool_use'),
          staticBlock({
            type: 'web_search_tool_result',
            tool_use_id: 'srvtoolu_014hJH82Qum7Td6UV8gDXThB',
            content: [
              {
                type: 'web_search_result',
                title: 'Paris weather',
                url: 'https://weather.example/paris',
                encrypted_content: 'EqgfCioIARgBIiQ3YTAwMjY1Mi1mZjM5',
                page_age: 'October 1, 2026',
              },
            ],
          }),
          textBlock(['It is sunny ', 'in Paris.']),
        ],
        'end_turn',
        usage({ output: 54, webSearchRequests: 1 }),
      )
  }
}

/** A countTokens response for a request body of `bodyBytes` bytes (about four bytes a token). */
/**
 * The answer to a request that forces a tool (`tool_choice: {type: "tool", name}`): one call of
 * that tool with `input`, streamed in three partial_json fragments.
 */
export function forcedToolFixture(name: string, input: unknown, options: MessageFixtureOptions = {}): MessageFixture {
  const json = toJson(input)
  return buildFixture(options.id ?? 'msg_01Q8Faay6cVMbKhNq2KUVrHa', options.model ?? DEFAULT_MODEL, [toolUseBlock('toolu_01Kf7cYpR4nLmx2bW9qTeD3s', name, ['', ...splitEvenly(json, 3)])], 'tool_use', usage({ output: 180 }))
}

export function countTokensJson(bodyBytes: number): string {
  return JSON.stringify({ input_tokens: Math.max(1, Math.ceil(bodyBytes / 4)) })
}

export const MODELS = [
  { type: 'model', id: 'claude-opus-4-6', display_name: 'Claude Opus 4.6', created_at: '2026-02-05T00:00:00Z' },
  { type: 'model', id: 'claude-sonnet-4-5-20250929', display_name: 'Claude Sonnet 4.5', created_at: '2025-09-29T00:00:00Z' },
  { type: 'model', id: 'claude-haiku-4-5-20251001', display_name: 'Claude Haiku 4.5', created_at: '2025-10-01T00:00:00Z' },
] as const

export function modelsPageJson(): string {
  return JSON.stringify({ data: MODELS, has_more: false, first_id: MODELS[0].id, last_id: MODELS[MODELS.length - 1].id })
}

/** Anthropic's error envelope; `requestId` is added as the API does on HTTP errors. */
export function errorJson(type: string, message: string, requestId?: string): string {
  const envelope: JsonObject = { type: 'error', error: { type, message } }
  if (requestId !== undefined) envelope.request_id = requestId
  return JSON.stringify(envelope)
}

export const RATE_LIMIT_MESSAGE =
  'This request would exceed the rate limit for your organization (3f6b2c1e-7a3d-4e5f-9a1b-2c3d4e5f6a7b) of 50 requests per minute. ' +
  'For details, refer to: https://docs.claude.com/en/api/rate-limits.'
export const INVALID_JSON_MESSAGE = 'There was an issue with the JSON body of your request. Please check that it is valid JSON.'

/** The opening events of a text stream, then an `error` event (what an overloaded stream looks like). */
export function streamErrorEvents(options: MessageFixtureOptions = {}): SseFixtureEvent[] {
  const events = messageFixture('text', options).events
  const firstDelta = events.findIndex((e) => e.event === 'content_block_delta')
  return [
    ...events.slice(0, firstDelta + 1),
    { event: 'error', data: errorJson('overloaded_error', 'Overloaded') },
  ]
}

const SAMPLE_CITATION = {
  type: 'char_location',
  cited_text: 'The grass is green.',
  document_index: 0,
  document_title: 'Example Document',
  start_char_index: 0,
  end_char_index: 20,
  file_id: null,
}

interface UsageFigures {
  output: number
  thinkingTokens?: number
  webSearchRequests?: number
}

/** The final usage and the two partial usages the stream reports (message_start, message_delta). */
interface UsagePlan {
  final: JsonObject
  start: JsonObject
  delta: JsonObject
}

/**
 * Same figures for every kind: 12 fresh input tokens, 2,048 cache writes (1,536 for 5 minutes,
 * 512 for an hour), 4,096 cache reads. message_start reports output_tokens 1 and message_delta the
 * cumulative output without input_tokens, as the API does.
 */
function usage(figures: UsageFigures): UsagePlan {
  const head = {
    input_tokens: 12,
    cache_creation_input_tokens: 2048,
    cache_read_input_tokens: 4096,
    cache_creation: { ephemeral_5m_input_tokens: 1536, ephemeral_1h_input_tokens: 512 },
  }
  const extras = (zeroed: boolean): JsonObject => {
    const out: JsonObject = {}
    if (figures.webSearchRequests !== undefined) out.server_tool_use = { web_search_requests: zeroed ? 0 : figures.webSearchRequests, web_fetch_requests: 0 }
    if (figures.thinkingTokens !== undefined) out.output_tokens_details = { thinking_tokens: zeroed ? 0 : figures.thinkingTokens }
    return out
  }
  return {
    final: { ...head, output_tokens: figures.output, ...extras(false), service_tier: 'standard' },
    start: { ...head, output_tokens: 1, ...extras(true), service_tier: 'standard' },
    delta: { output_tokens: figures.output, ...extras(false) },
  }
}

function buildFixture(id: string, model: string, blocks: BlockPlan[], stopReason: string, usagePlan: UsagePlan): MessageFixture {
  const message = {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content: blocks.map((b) => b.final),
    stop_reason: stopReason,
    stop_sequence: null,
    usage: usagePlan.final,
  }
  const events: SseFixtureEvent[] = [
    event('message_start', { type: 'message_start', message: { ...message, content: [], stop_reason: null, usage: usagePlan.start } }),
  ]
  events.push({ event: 'ping', data: '{"type": "ping"}' })
  blocks.forEach((block, index) => {
    events.push(event('content_block_start', { type: 'content_block_start', index, content_block: block.start }))
    for (const delta of block.deltas) events.push(event('content_block_delta', { type: 'content_block_delta', index, delta }))
    events.push(event('content_block_stop', { type: 'content_block_stop', index }))
  })
  events.push(
    event('message_delta', { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: usagePlan.delta }),
    event('message_stop', { type: 'message_stop' }),
  )
  return { json: toJson(message), events }
}

function textBlock(pieces: readonly string[]): BlockPlan {
  return {
    final: { type: 'text', text: pieces.join('') },
    start: { type: 'text', text: '' },
    deltas: pieces.map((text) => ({ type: 'text_delta', text })),
  }
}

/** A tool call whose input arrives as partial_json fragments (the first one empty, as the API sends). */
function toolUseBlock(id: string, name: string, fragments: readonly string[], type = 'tool_use'): BlockPlan {
  return {
    final: { type, id, name, input: parse(fragments.join(''), null, (n) => new LosslessNumber(n)) },
    start: { type, id, name, input: {} },
    deltas: fragments.map((partial_json) => ({ type: 'input_json_delta', partial_json })),
  }
}

/** A block the API sends whole in content_block_start (redacted thinking, tool results). */
function staticBlock(block: JsonObject): BlockPlan {
  return { final: block, start: block, deltas: [] }
}

function event(name: string, data: JsonObject): SseFixtureEvent {
  return { event: name, data: toJson(data) }
}

function toJson(value: unknown): string {
  const text = stringify(value)
  if (text === undefined) throw new TypeError('fixture is not JSON-serialisable')
  return text
}

/** Splits text into `count` pieces (fewer when it is shorter) on character boundaries, never inside a surrogate pair. */
function splitEvenly(text: string, count: number): string[] {
  const chars = Array.from(text)
  const n = Math.max(1, Math.min(count, chars.length))
  return Array.from({ length: n }, (_, i) => chars.slice(Math.floor((i * chars.length) / n), Math.floor(((i + 1) * chars.length) / n)).join(''))
}
