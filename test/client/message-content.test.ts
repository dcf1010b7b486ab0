import { describe, expect, it } from 'vitest'
import { readCitations } from '../../client/src/messages/citations'
import { contentBlocks, requestParts, responseBlocks } from '../../client/src/messages/content'
import { lineDiff } from '../../client/src/messages/edit-diff'
import { exactJsonText, parseExactJson } from '../../client/src/messages/exact-json'
import { imageView } from '../../client/src/messages/media'
import { splitSystemReminders } from '../../client/src/messages/system-reminders'
import { pairToolCalls } from '../../client/src/messages/tool-pairs'

describe('recorded message content', () => {
  it('reads a string content as one text block and a list as its blocks', () => {
    expect(contentBlocks('Hello')).toEqual([{ type: 'text', text: 'Hello' }])
    expect(contentBlocks([{ type: 'text', text: 'a' }, 7])).toEqual([{ type: 'text', text: 'a' }, 7])
    expect(contentBlocks(null)).toEqual([])
  })

  it('takes the system prompt, offered tools and messages of a Messages request, in order', () => {
    const parts = requestParts({
      system: 'Be brief.',
      tools: [{ name: 'Bash', description: 'Runs a command', input_schema: { type: 'object' } }, { type: 'web_search_20250305', name: 'web_search' }, 'junk'],
      messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: [{ type: 'text', text: 'Hello' }] }],
    })
    expect(parts).toEqual({
      system: [{ type: 'text', text: 'Be brief.' }],
      tools: [
        { name: 'Bash', type: 'custom', description: 'Runs a command', inputSchema: { type: 'object' } },
        { name: 'web_search', type: 'web_search_20250305', description: null, inputSchema: undefined },
      ],
      messages: [
        { role: 'user', blocks: [{ type: 'text', text: 'Hi' }] },
        { role: 'assistant', blocks: [{ type: 'text', text: 'Hello' }] },
      ],
    })
  })

  it('recognises neither a request nor a response in bodies of other endpoints', () => {
    expect(requestParts({ model: 'claude-sonnet-4-5' })).toBeNull()
    expect(requestParts('raw text body')).toBeNull()
    expect(responseBlocks({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })).toBeNull()
    expect(responseBlocks(null)).toBeNull()
  })

  it('prints integers beyond 2^53 in recorded bodies digit for digit, and keeps non-JSON text as text', () => {
    const body = parseExactJson('{"content":[{"type":"tool_use","name":"get_account","input":{"account_id":12345678901234567890,"limit":1.50}}]}')
    const block = responseBlocks(body)?.[0] as { input: never }
    expect(exactJsonText(block.input)).toBe('{\n  "account_id": 12345678901234567890,\n  "limit": 1.5\n}')
    expect(parseExactJson('{"model": oops')).toBe('{"model": oops')
    expect(parseExactJson(null)).toBeNull()
  })
})

describe('tool call pairing', () => {
  it('pairs each tool_use with the tool_result of the same id in the next user message', () => {
    const use = { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: {} }
    const result = { type: 'tool_result', tool_use_id: 'toolu_1', content: 'ok' }
    const pairs = pairToolCalls([
      { role: 'user', blocks: [{ type: 'text', text: 'go' }] },
      { role: 'assistant', blocks: [use, { type: 'tool_use', id: 'toolu_2', name: 'Read', input: {} }] },
      { role: 'user', blocks: [result, { type: 'tool_result', tool_use_id: 'toolu_9', content: 'orphan' }] },
    ])
    expect([...pairs.keys()]).toEqual(['toolu_1'])
    expect(pairs.get('toolu_1')).toEqual({ use, result })
  })

  it('leaves a result unpaired when it is not in the message right after its call', () => {
    const pairs = pairToolCalls([
      { role: 'assistant', blocks: [{ type: 'tool_use', id: 'toolu_1', name: 'Bash', input: {} }] },
      { role: 'assistant', blocks: [{ type: 'text', text: 'hm' }] },
      { role: 'user', blocks: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'late' }] },
    ])
    expect(pairs.size).toBe(0)
  })
})

describe('system reminders', () => {
  it('splits Claude Code reminders out of the text around them', () => {
    expect(splitSystemReminders('<system-reminder>\nContext here\n</system-reminder>\nFix the bug\n<system-reminder>Todo list empty</system-reminder>')).toEqual([
      { kind: 'reminder', text: 'Context here' },
      { kind: 'text', text: '\nFix the bug\n' },
      { kind: 'reminder', text: 'Todo list empty' },
    ])
  })

  it('keeps text without reminders as one segment', () => {
    expect(splitSystemReminders('plain <b>text</b>')).toEqual([{ kind: 'text', text: 'plain <b>text</b>' }])
  })
})

describe('citations', () => {
  it('describes each citation location with its quote, and links only http(s) sources', () => {
    expect(
      readCitations([
        { type: 'char_location', cited_text: 'grass is green', document_index: 0, document_title: 'Facts', start_char_index: 0, end_char_index: 14 },
        { type: 'page_location', cited_text: 'p', document_index: 1, document_title: null, start_page_number: 3, end_page_number: 5 },
        { type: 'web_search_result_location', cited_text: 'w', url: 'https://example.com/a', title: 'Example' },
        { type: 'web_search_result_location', cited_text: 'x', url: 'javascript:alert(1)', title: 'Bad' },
      ]),
    ).toEqual([
      { citedText: 'grass is green', source: 'Facts, characters 0–13', url: null },
      { citedText: 'p', source: 'document 1, pages 3–4', url: null },
      { citedText: 'w', source: 'Example', url: 'https://example.com/a' },
      { citedText: 'x', source: 'Bad', url: null },
    ])
  })
})

describe('image sources', () => {
  it('inlines base64 PNG, JPEG, GIF and WebP images as data: URLs', () => {
    for (const mediaType of ['image/png', 'image/jpeg', 'image/gif', 'image/webp']) {
      expect(imageView({ type: 'base64', media_type: mediaType, data: 'iVBORw0KGgo=' })).toEqual({ kind: 'inline', src: `data:${mediaType};base64,iVBORw0KGgo=`, mediaType })
    }
  })

  it('refuses to inline SVG, HTML and data that is not base64', () => {
    expect(imageView({ type: 'base64', media_type: 'image/svg+xml', data: 'PHN2Zz4=' }).kind).toBe('blocked')
    expect(imageView({ type: 'base64', media_type: 'text/html', data: 'PHNjcmlwdD4=' }).kind).toBe('blocked')
    expect(imageView({ type: 'base64', media_type: 'image/png', data: 'abc"><script>' }).kind).toBe('blocked')
  })

  it('offers a URL source as a link and never as an image, and links only http(s)', () => {
    expect(imageView({ type: 'url', url: 'https://tracker.example/pixel.gif' })).toEqual({ kind: 'link', url: 'https://tracker.example/pixel.gif' })
    expect(imageView({ type: 'url', url: 'javascript:alert(1)' }).kind).toBe('blocked')
    expect(imageView({ type: 'file', file_id: 'file_011' })).toEqual({ kind: 'file', fileId: 'file_011' })
  })
})

describe('edit diffs', () => {
  it('marks removed and added lines and keeps the unchanged ones', () => {
    expect(lineDiff('a\nb\nc\n', 'a\nB\nc\n')).toEqual([
      { kind: 'same', text: 'a' },
      { kind: 'removed', text: 'b' },
      { kind: 'added', text: 'B' },
      { kind: 'same', text: 'c' },
    ])
  })
})
