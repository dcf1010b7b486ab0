import { describe, expect, it } from 'vitest'
import { LiveMessage, type LiveChunk } from '../../client/src/messages/live-message'

/** The SSE events of a response, numbered as the live subscription numbers them. */
function chunks(...events: [string, object][]): LiveChunk[] {
  return events.map(([event, data], seq) => ({ seq, event, data: JSON.stringify(data), offsetMs: seq * 10 }))
}

const start: [string, object] = ['message_start', { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], usage: { input_tokens: 5, output_tokens: 1 } } }]
const blockStart = (index: number, block: object): [string, object] => ['content_block_start', { type: 'content_block_start', index, content_block: block }]
const delta = (index: number, d: object): [string, object] => ['content_block_delta', { type: 'content_block_delta', index, delta: d }]
const blockStop = (index: number): [string, object] => ['content_block_stop', { type: 'content_block_stop', index }]

describe('live message', () => {
  it('grows thinking, text and a tool input delta by delta, the input as partial JSON text until its block stops', () => {
    const stream = chunks(
      start,
      blockStart(0, { type: 'thinking', thinking: '', signature: '' }),
      delta(0, { type: 'thinking_delta', thinking: 'Let me ' }),
      delta(0, { type: 'thinking_delta', thinking: 'look.' }),
      delta(0, { type: 'signature_delta', signature: 'sig' }),
      blockStop(0),
      blockStart(1, { type: 'text', text: '' }),
      delta(1, { type: 'text_delta', text: 'Reading ' }),
      delta(1, { type: 'text_delta', text: 'the file.' }),
      blockStop(1),
      blockStart(2, { type: 'tool_use', id: 'toolu_1', name: 'Read', input: {} }),
      delta(2, { type: 'input_json_delta', partial_json: '{"file_path": "/a.ts", "lim' }),
    )
    const live = new LiveMessage()
    const seen: unknown[] = []
    for (const chunk of stream) {
      live.apply(chunk)
      seen.push(live.state.blocks.map((block) => ({ ...(block as object) })))
    }
    expect(seen[3]).toEqual([{ type: 'thinking', thinking: 'Let me look.', signature: '' }])
    expect(seen[7]).toEqual([{ type: 'thinking', thinking: 'Let me look.', signature: 'sig' }, { type: 'text', text: 'Reading ' }])
    expect(live.state.blocks[2]).toEqual({ type: 'tool_use', id: 'toolu_1', name: 'Read', input: '{"file_path": "/a.ts", "lim' })
    expect(live.state.activeIndex).toBe(2)

    live.apply({ seq: 12, event: 'content_block_delta', data: JSON.stringify({ type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: 'it": 12345678901234567890}' } }), offsetMs: 120 })
    live.apply({ seq: 13, event: 'content_block_stop', data: JSON.stringify({ type: 'content_block_stop', index: 2 }), offsetMs: 130 })
    expect(live.state.blocks[2]).toEqual({ type: 'tool_use', id: 'toolu_1', name: 'Read', input: { file_path: '/a.ts', limit: 12345678901234567890n } })
    expect(live.state.activeIndex).toBe(null)
  })

  it('reports the stop reason, the output tokens and the end of the message', () => {
    const live = new LiveMessage()
    for (const chunk of chunks(start, ['message_delta', { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 42 } }], ['message_stop', { type: 'message_stop' }])) live.apply(chunk)
    expect(live.state).toMatchObject({ stopReason: 'tool_use', outputTokens: 42, done: true, error: null })
  })

  it('applies a chunk replayed after a reconnection once, and ignores malformed and unknown events', () => {
    const stream = chunks(start, blockStart(0, { type: 'text', text: '' }), delta(0, { type: 'text_delta', text: 'once' }))
    const live = new LiveMessage()
    for (const chunk of [...stream, ...stream]) live.apply(chunk)
    expect(live.apply({ seq: 3, event: 'content_block_delta', data: '{not json', offsetMs: 0 })).toBe(true)
    live.apply({ seq: 4, event: 'content_block_delta', data: JSON.stringify({ type: 'content_block_delta', index: 9, delta: { type: 'text_delta', text: 'x' } }), offsetMs: 0 })
    live.apply({ seq: 5, event: 'future_event', data: JSON.stringify({ type: 'future_event' }), offsetMs: 0 })
    expect(live.state.blocks).toEqual([{ type: 'text', text: 'once' }])
  })

  it('shows a stream error as its type and message', () => {
    const live = new LiveMessage()
    live.apply({ seq: 0, event: 'error', data: JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }), offsetMs: 0 })
    expect(live.state.error).toBe('overloaded_error: Overloaded')
  })
})
