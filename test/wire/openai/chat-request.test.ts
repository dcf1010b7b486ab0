import { describe, expect, it } from 'vitest'
import { ChatRequestError, toChatRequest } from '../../../server/wire/openai/chat-request'

const BIG = '12345678901234567890'

/** Translates a request object (or raw JSON text) and parses the result for assertions. */
function translate(request: unknown, model = 'gpt-4.1'): any {
  const text = typeof request === 'string' ? request : JSON.stringify(request)
  return JSON.parse(toChatRequest(text, model).body)
}

describe('toChatRequest', () => {
  it('sends the routed model and max_tokens as max_completion_tokens', () => {
    const chat = translate({ model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: 'hi' }] }, 'gpt-4.1-mini')
    expect(chat).toEqual({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 1024 })
  })

  it('joins the text blocks of system into one leading system message', () => {
    const chat = translate({
      system: [{ type: 'text', text: 'You are Claude Code.' }, { type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: 'hi' }],
    })
    expect(chat.messages[0]).toEqual({ role: 'system', content: 'You are Claude Code.\n\nBe brief.' })
  })

  it('keeps a system string as the system message and leaves an empty one out', () => {
    expect(translate({ system: 'Be brief.', messages: [] }).messages).toEqual([{ role: 'system', content: 'Be brief.' }])
    expect(translate({ system: '', messages: [] }).messages).toEqual([])
  })

  it('turns text and images (base64 and URL) of a user turn into content parts', () => {
    const chat = translate({
      messages: [{
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: 'AAAA' } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } },
        ],
      }],
    })
    expect(chat.messages).toEqual([{
      role: 'user',
      content: [
        { type: 'text', text: 'What is this?' },
        { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,AAAA' } },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
      ],
    }])
  })

  it('turns assistant tool_use blocks into tool_calls whose arguments keep an integer above 2^53 exact', () => {
    const body = `{"messages":[{"role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"s"},{"type":"text","text":"Reading it."},{"type":"tool_use","id":"toolu_1","name":"Read","input":{"id":${BIG},"ratio":1.50}}]}]}`
    const text = toChatRequest(body, 'gpt-4.1').body
    expect(text).toContain(`"arguments":"{\\"id\\":${BIG},\\"ratio\\":1.50}"`)
    const chat = JSON.parse(text)
    expect(chat.messages).toEqual([{
      role: 'assistant',
      content: 'Reading it.',
      tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'Read', arguments: `{"id":${BIG},"ratio":1.50}` } }],
    }])
  })

  it('sends null content for an assistant turn made only of tool calls', () => {
    const chat = translate({ messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'Bash', input: {} }] }] })
    expect(chat.messages[0].content).toBeNull()
    expect(chat.messages[0].tool_calls[0].function.arguments).toBe('{}')
  })

  it('sends tool results as tool messages before the rest of the user turn, marking errors', () => {
    const chat = translate({
      messages: [{
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 't1', content: 'file contents' },
          { type: 'tool_result', tool_use_id: 't2', is_error: true, content: [{ type: 'text', text: 'not found' }] },
          { type: 'text', text: 'Go on.' },
        ],
      }],
    })
    expect(chat.messages).toEqual([
      { role: 'tool', tool_call_id: 't1', content: 'file contents' },
      { role: 'tool', tool_call_id: 't2', content: 'Error: not found' },
      { role: 'user', content: [{ type: 'text', text: 'Go on.' }] },
    ])
  })

  it('moves the images of a tool result into a user message after the tool message, which cannot hold them', () => {
    const chat = translate({
      messages: [{
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'screenshot' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBO' } }] }],
      }],
    })
    expect(chat.messages).toEqual([
      { role: 'tool', tool_call_id: 't1', content: 'screenshot' },
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,iVBO' } }] },
    ])
  })

  it('turns client tools into functions, leaves server tools out and keeps numbers in schemas exact', () => {
    const body = `{"messages":[],"tools":[{"name":"Read","description":"Reads a file","input_schema":{"type":"object","properties":{"n":{"type":"integer","maximum":${BIG}}}}},{"type":"web_search_20250305","name":"web_search"}]}`
    const text = toChatRequest(body, 'gpt-4.1').body
    expect(text).toContain(`"maximum":${BIG}`)
    expect(JSON.parse(text).tools).toEqual([
      { type: 'function', function: { name: 'Read', description: 'Reads a file', parameters: { type: 'object', properties: { n: { type: 'integer', maximum: Number(BIG) } } } } },
    ])
  })

  it.each([
    [{ type: 'auto' }, 'auto'],
    [{ type: 'any' }, 'required'],
    [{ type: 'none' }, 'none'],
    [{ type: 'tool', name: 'Read' }, { type: 'function', function: { name: 'Read' } }],
  ])('translates tool_choice %j to %j', (choice, expected) => {
    const chat = translate({ messages: [], tools: [{ name: 'Read', input_schema: { type: 'object' } }], tool_choice: choice })
    expect(chat.tool_choice).toEqual(expected)
  })

  it('asks for one call at a time when parallel tool use is disabled', () => {
    const chat = translate({ messages: [], tools: [{ name: 'Read', input_schema: { type: 'object' } }], tool_choice: { type: 'auto', disable_parallel_tool_use: true } })
    expect(chat.parallel_tool_calls).toBe(false)
  })

  it('sends no tool_choice without tools', () => {
    expect(translate({ messages: [], tool_choice: { type: 'any' } })).not.toHaveProperty('tool_choice')
  })

  it('copies stop sequences, temperature and top_p, and drops top_k', () => {
    const chat = translate({ messages: [], stop_sequences: ['END'], temperature: 0.2, top_p: 0.9, top_k: 5 })
    expect(chat).toMatchObject({ stop: ['END'], temperature: 0.2, top_p: 0.9 })
    expect(chat).not.toHaveProperty('top_k')
  })

  it('asks a stream for its usage in the last chunk', () => {
    const result = toChatRequest(JSON.stringify({ stream: true, messages: [] }), 'gpt-4.1')
    expect(result.stream).toBe(true)
    expect(JSON.parse(result.body)).toMatchObject({ stream: true, stream_options: { include_usage: true } })
    expect(toChatRequest('{"messages":[]}', 'gpt-4.1').stream).toBe(false)
  })

  it('refuses a body that is not a JSON object with ChatRequestError', () => {
    expect(() => toChatRequest('{"messages":', 'gpt-4.1')).toThrow(ChatRequestError)
    expect(() => toChatRequest('[1]', 'gpt-4.1')).toThrow(/not a JSON object/)
  })
})
