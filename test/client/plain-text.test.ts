import { describe, expect, it } from 'vitest'
import { exactJsonText, parseExactJson } from '../../client/src/messages/exact-json'
import { plainContent, plainRequest, plainResponse } from '../../client/src/messages/plain-text'

describe('plain-text messages', () => {
  it('reads a string content as one text block', () => {
    expect(plainContent('Hello')).toEqual([{ label: 'text', text: 'Hello' }])
  })

  it('labels each block type and keeps tool input as pretty JSON', () => {
    expect(
      plainContent([
        { type: 'text', text: 'Let me look.' },
        { type: 'thinking', thinking: 'The file is small.', signature: 'sig' },
        { type: 'redacted_thinking', data: 'opaque' },
        { type: 'tool_use', id: 'toolu_1', name: 'Read', input: { file_path: '/tmp/a.ts' } },
        { type: 'tool_result', tool_use_id: 'toolu_1', is_error: true, content: 'ENOENT' },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' } },
      ]),
    ).toEqual([
      { label: 'text', text: 'Let me look.' },
      { label: 'thinking', text: 'The file is small.' },
      { label: 'redacted thinking', text: '(encrypted by the API)' },
      { label: 'tool_use · Read', text: '{\n  "file_path": "/tmp/a.ts"\n}' },
      { label: 'tool_result · error', text: 'ENOENT' },
      { label: 'image', text: exactJsonText({ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' } }) },
    ])
  })

  it('joins the text of a tool result made of blocks', () => {
    expect(plainContent([{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }])).toEqual([
      { label: 'tool_result', text: 'a\nb' },
    ])
  })

  it('takes the system prompt and messages of a Messages request, in order', () => {
    expect(plainRequest({ system: 'Be brief.', messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: [{ type: 'text', text: 'Hello' }] }] })).toEqual({
      system: [{ label: 'text', text: 'Be brief.' }],
      messages: [
        { role: 'user', blocks: [{ label: 'text', text: 'Hi' }] },
        { role: 'assistant', blocks: [{ label: 'text', text: 'Hello' }] },
      ],
    })
  })

  it('recognises neither a request nor a response in bodies of other endpoints', () => {
    expect(plainRequest({ model: 'claude-sonnet-4-5' })).toBeNull()
    expect(plainRequest('raw text body')).toBeNull()
    expect(plainResponse({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })).toBeNull()
    expect(plainResponse(null)).toBeNull()
  })

  it('shows a text body as it is and anything else as indented JSON', () => {
    expect(exactJsonText('not json')).toBe('not json')
    expect(exactJsonText({ a: [1] })).toBe('{\n  "a": [\n    1\n  ]\n}')
  })

  it('prints integers beyond 2^53 in recorded bodies digit for digit, and keeps non-JSON text as text', () => {
    const body = parseExactJson('{"content":[{"type":"tool_use","name":"get_account","input":{"account_id":12345678901234567890,"limit":1.50}}]}')
    expect(plainResponse(body)?.[0]?.text).toBe('{\n  "account_id": 12345678901234567890,\n  "limit": 1.5\n}')
    expect(parseExactJson('{"model": oops')).toBe('{"model": oops')
    expect(parseExactJson(null)).toBeNull()
  })
})
