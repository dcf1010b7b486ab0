import { describe, expect, it } from 'vitest'
import { toAnthropicMessageJson } from '../../../server/wire/openai/chat-response'
import { errorTypeForStatus, toAnthropicError } from '../../../server/wire/openai/chat-error'
import { toAnthropicUsage, toStopReason } from '../../../server/wire/openai/chat-usage'

const BIG = '12345678901234567890'

function completion(message: object, extra: object = {}): string {
  return JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-4.1-2025-04-14',
    choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: 'stop', logprobs: null }],
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    ...extra,
  })
}

describe('toAnthropicMessageJson', () => {
  it('turns the text of the first choice into a Message with stop reason and usage', () => {
    expect(JSON.parse(toAnthropicMessageJson(completion({ content: 'Hello' }), 'gpt-4.1')!)).toEqual({
      id: 'chatcmpl-1',
      type: 'message',
      role: 'assistant',
      model: 'gpt-4.1-2025-04-14',
      content: [{ type: 'text', text: 'Hello' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    })
  })

  it('turns tool calls into tool_use blocks whose input keeps an integer above 2^53 exact', () => {
    const body = completion({ content: null, tool_calls: [
      { id: 'call_1', type: 'function', function: { name: 'Read', arguments: `{"id":${BIG}}` } },
      { id: 'call_2', type: 'function', function: { name: 'Bash', arguments: '' } },
    ] }, {}).replace('"finish_reason":"stop"', '"finish_reason":"tool_calls"')
    const text = toAnthropicMessageJson(body, 'gpt-4.1')!
    expect(text).toContain(`"input":{"id":${BIG}}`)
    const message = JSON.parse(text)
    expect(message.content).toEqual([
      { type: 'tool_use', id: 'call_1', name: 'Read', input: { id: Number(BIG) } },
      { type: 'tool_use', id: 'call_2', name: 'Bash', input: {} },
    ])
    expect(message.stop_reason).toBe('tool_use')
  })

  it('keeps arguments that are not a JSON object whole instead of losing them', () => {
    const message = JSON.parse(toAnthropicMessageJson(completion({ content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'X', arguments: '{"a":' } }] }), 'm')!)
    expect(message.content[0].input).toEqual({ arguments: '{"a":' })
  })

  it('shows a refusal as text', () => {
    const message = JSON.parse(toAnthropicMessageJson(completion({ content: null, refusal: 'I cannot help with that.' }), 'm')!)
    expect(message.content).toEqual([{ type: 'text', text: 'I cannot help with that.' }])
  })

  it('names the fallback model when the answer names none, and returns null for what is not a completion', () => {
    const noModel = JSON.stringify({ id: 'x', choices: [{ index: 0, message: { content: 'a' }, finish_reason: 'stop' }] })
    expect(JSON.parse(toAnthropicMessageJson(noModel, 'gpt-4.1')!).model).toBe('gpt-4.1')
    expect(toAnthropicMessageJson('{"error":{"message":"no"}}', 'm')).toBeNull()
    expect(toAnthropicMessageJson('not json', 'm')).toBeNull()
  })
})

describe('toStopReason', () => {
  it.each([
    ['stop', 'end_turn'],
    ['length', 'max_tokens'],
    ['tool_calls', 'tool_use'],
    ['function_call', 'tool_use'],
    ['content_filter', 'refusal'],
    ['something_new', 'end_turn'],
    [null, null],
  ])('maps finish_reason %j to stop_reason %j', (finish, stop) => {
    expect(toStopReason(finish)).toBe(stop)
  })
})

describe('toAnthropicUsage', () => {
  it('counts cached prompt tokens as cache reads and takes them out of input_tokens', () => {
    expect(toAnthropicUsage({ prompt_tokens: 1000, completion_tokens: 20, prompt_tokens_details: { cached_tokens: 800 } })).toEqual({
      input_tokens: 200,
      output_tokens: 20,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 800,
    })
  })

  it('never reports more cached tokens than prompt tokens, and null without usage', () => {
    expect(toAnthropicUsage({ prompt_tokens: 5, completion_tokens: 0, prompt_tokens_details: { cached_tokens: 9 } })).toMatchObject({ input_tokens: 0, cache_read_input_tokens: 5 })
    expect(toAnthropicUsage(undefined)).toBeNull()
  })
})

describe('toAnthropicError', () => {
  it.each([
    [400, 'invalid_request_error'],
    [401, 'authentication_error'],
    [403, 'permission_error'],
    [404, 'not_found_error'],
    [413, 'request_too_large'],
    [422, 'invalid_request_error'],
    [429, 'rate_limit_error'],
    [500, 'api_error'],
    [503, 'overloaded_error'],
    [418, 'invalid_request_error'],
    [502, 'api_error'],
  ])('gives status %i the error type %s', (status, type) => {
    expect(errorTypeForStatus(status)).toBe(type)
  })

  it('takes the message of an OpenAI error body and names the provider', () => {
    const body = JSON.stringify({ error: { message: 'Rate limit reached for gpt-4.1', type: 'requests', param: null, code: 'rate_limit_exceeded' } })
    expect(toAnthropicError(429, body, 'openai')).toEqual({ type: 'rate_limit_error', message: 'openai: Rate limit reached for gpt-4.1' })
  })

  it('keeps a body that is not an error object as the message', () => {
    expect(toAnthropicError(502, 'Bad gateway', 'local')).toEqual({ type: 'api_error', message: 'local: Bad gateway' })
    expect(toAnthropicError(500, '', 'local').message).toBe('local: HTTP 500')
  })
})
