import { describe, expect, it } from 'vitest'
import { MessageAccumulator } from '../../../server/wire/message-accumulator'
import { ChatStreamTranslator, type AnthropicEvent } from '../../../server/wire/openai/chat-stream'
import { SseParser } from '../../../server/wire/sse-parser'

const BIG = '12345678901234567890'

/** A chat.completion.chunk with one choice delta (or none), as OpenAI writes it. */
function chunk(delta: object | null, finish: string | null = null, extra: object = {}): object {
  return {
    id: 'chatcmpl-9',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-4.1-2025-04-14',
    choices: delta === null ? [] : [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...extra,
  }
}

const usageChunk = (usage: object) => chunk(null, null, { usage })

/** The provider's SSE bytes: one `data:` event per chunk, then `data: [DONE]` unless told not to. */
function openAiSse(chunks: object[], done = true): Buffer {
  const text = chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('') + (done ? 'data: [DONE]\n\n' : '')
  return Buffer.from(text)
}

/** Feeds the bytes to the translator in reads of `readBytes` and returns every event it made, the end included. */
function translate(bytes: Buffer, readBytes = bytes.length): AnthropicEvent[] {
  const translator = new ChatStreamTranslator({ model: 'gpt-4.1', provider: 'openai' })
  const out: AnthropicEvent[] = []
  const parser = new SseParser((event) => out.push(...translator.push(event.data)))
  for (let at = 0; at < bytes.length; at += readBytes) parser.push(bytes.subarray(at, at + readBytes))
  parser.end()
  out.push(...translator.end())
  return out
}

function accumulate(events: AnthropicEvent[]): MessageAccumulator {
  const acc = new MessageAccumulator()
  for (const e of events) acc.apply(e.event, e.data)
  return acc
}

const TEXT_STREAM = [
  chunk({ role: 'assistant', content: '', refusal: null }),
  chunk({ content: 'Hel' }),
  chunk({ content: 'lo' }),
  chunk({}, 'stop'),
  usageChunk({ prompt_tokens: 120, completion_tokens: 2, total_tokens: 122, prompt_tokens_details: { cached_tokens: 100 } }),
]

describe('ChatStreamTranslator', () => {
  it('writes a well-formed Anthropic stream for streamed text: start, ping, one text block, delta with usage, stop', () => {
    const events = translate(openAiSse(TEXT_STREAM))
    expect(events.map((e) => e.event)).toEqual([
      'message_start', 'ping', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop',
    ])
    expect(JSON.parse(events[0].data).message).toMatchObject({ id: 'chatcmpl-9', type: 'message', role: 'assistant', model: 'gpt-4.1-2025-04-14', content: [] })
    expect(JSON.parse(events[6].data)).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { input_tokens: 20, output_tokens: 2, cache_creation_input_tokens: 0, cache_read_input_tokens: 100 },
    })
    const message = JSON.parse(accumulate(events).toJSONText()!)
    expect(message.content).toEqual([{ type: 'text', text: 'Hello' }])
  })

  it('gives the same events whatever the reads the provider stream is split into, down to single bytes', () => {
    const bytes = openAiSse(TEXT_STREAM)
    const whole = translate(bytes)
    expect(translate(bytes, 1)).toEqual(whole)
    expect(translate(bytes, 7)).toEqual(whole)
  })

  it('streams a tool call split across chunks as input_json_delta, an integer above 2^53 exact in the final input', () => {
    const args = `{"path":"/tmp/a","id":${BIG}}`
    const events = translate(openAiSse([
      chunk({ role: 'assistant', content: null }),
      chunk({ tool_calls: [{ index: 0, id: 'call_A', type: 'function', function: { name: 'Read', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(0, 10) } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(10, 30) } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(30) } }] }),
      chunk({}, 'tool_calls'),
      usageChunk({ prompt_tokens: 50, completion_tokens: 9, total_tokens: 59 }),
    ]), 5)
    expect(JSON.parse(events[2].data)).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'call_A', name: 'Read', input: {} } })
    expect(events.filter((e) => e.event === 'content_block_delta').map((e) => JSON.parse(e.data).delta)).toEqual([
      { type: 'input_json_delta', partial_json: args.slice(0, 10) },
      { type: 'input_json_delta', partial_json: args.slice(10, 30) },
      { type: 'input_json_delta', partial_json: args.slice(30) },
    ])
    const acc = accumulate(events)
    expect(acc.stopReason).toBe('tool_use')
    expect(acc.toJSONText()).toContain(`"input":{"path":"/tmp/a","id":${BIG}}`)
  })

  it('gives parallel tool calls after text one block each, in order, each closed before the next opens', () => {
    const events = translate(openAiSse([
      chunk({ role: 'assistant', content: 'Reading both.' }),
      chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'Read', arguments: '{"p":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"a"}' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'call_2', type: 'function', function: { name: 'Read', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 1, function: { arguments: '{"p":"b"}' } }] }),
      chunk({}, 'tool_calls'),
    ]))
    const shape = events.map((e) => {
      const data = JSON.parse(e.data)
      return data.index === undefined ? e.event : `${e.event}:${data.index}`
    })
    expect(shape).toEqual([
      'message_start', 'ping',
      'content_block_start:0', 'content_block_delta:0', 'content_block_stop:0',
      'content_block_start:1', 'content_block_delta:1', 'content_block_delta:1', 'content_block_stop:1',
      'content_block_start:2', 'content_block_delta:2', 'content_block_stop:2',
      'message_delta', 'message_stop',
    ])
    expect(JSON.parse(accumulate(events).toJSONText()!).content).toEqual([
      { type: 'text', text: 'Reading both.' },
      { type: 'tool_use', id: 'call_1', name: 'Read', input: { p: 'a' } },
      { type: 'tool_use', id: 'call_2', name: 'Read', input: { p: 'b' } },
    ])
  })

  it('accepts several tool calls starting in one chunk', () => {
    const events = translate(openAiSse([
      chunk({ tool_calls: [
        { index: 0, id: 'c1', type: 'function', function: { name: 'A', arguments: '{}' } },
        { index: 1, id: 'c2', type: 'function', function: { name: 'B', arguments: '{"x":1}' } },
      ] }),
      chunk({}, 'tool_calls'),
    ]))
    expect(JSON.parse(accumulate(events).toJSONText()!).content).toEqual([
      { type: 'tool_use', id: 'c1', name: 'A', input: {} },
      { type: 'tool_use', id: 'c2', name: 'B', input: { x: 1 } },
    ])
  })

  it('maps finish_reason length to max_tokens and reports zero usage when the provider sent none', () => {
    const events = translate(openAiSse([chunk({ content: 'a' }), chunk({}, 'length')]))
    expect(JSON.parse(events.at(-2)!.data)).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'max_tokens', stop_sequence: null },
      usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    })
  })

  it('finishes the message when the bytes end after a finish_reason without [DONE]', () => {
    const events = translate(openAiSse([chunk({ content: 'a' }), chunk({}, 'stop')], false))
    expect(events.at(-1)!.event).toBe('message_stop')
    expect(accumulate(events).done).toBe(true)
  })

  it('ends a stream cut before any finish_reason with an error event', () => {
    const events = translate(openAiSse([chunk({ content: 'a' })], false))
    expect(events.at(-1)).toEqual({ event: 'error', data: expect.stringContaining('"type":"api_error"') })
    expect(accumulate(events).error?.message).toMatch(/openai: the stream ended before the answer was finished/)
  })

  it('turns an error object sent inside the stream into an error event and stops there', () => {
    const events = translate(openAiSse([chunk({ content: 'a' }), { error: { message: 'The server had an error', type: 'server_error' } }, chunk({ content: 'b' })]))
    expect(events.at(-1)!.event).toBe('error')
    expect(JSON.parse(events.at(-1)!.data)).toEqual({ type: 'error', error: { type: 'api_error', message: 'openai: The server had an error' } })
  })

  it('writes a complete empty message for a stream that held nothing but [DONE]', () => {
    const events = translate(Buffer.from('data: [DONE]\n\n'))
    expect(events.map((e) => e.event)).toEqual(['message_start', 'ping', 'message_delta', 'message_stop'])
    expect(JSON.parse(events[0].data).message.model).toBe('gpt-4.1')
  })

  it('ignores data that is not JSON and choices other than the first', () => {
    const sse = openAiSse([
      chunk({ content: 'a' }),
      { ...chunk(null), choices: [{ index: 1, delta: { content: 'other' }, finish_reason: null }] },
      chunk({}, 'stop'),
    ]).toString()
    const events = translate(Buffer.from(sse.replace('data: [DONE]', 'data: keep-alive\n\ndata: [DONE]')))
    expect(JSON.parse(accumulate(events).toJSONText()!).content).toEqual([{ type: 'text', text: 'a' }])
  })
})
