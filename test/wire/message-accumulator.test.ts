import { describe, expect, it } from 'vitest'
import { MessageAccumulator } from '../../server/wire/message-accumulator'
import { SseParser } from '../../server/wire/sse-parser'
import { BIG_INTEGER_TEXT, MESSAGE_KINDS, errorJson, frameSse, messageFixture, streamErrorEvents, type SseFixtureEvent } from '../support/anthropic-fixtures'

function accumulate(events: ReadonlyArray<SseFixtureEvent | [string | null, string]>): MessageAccumulator {
  const acc = new MessageAccumulator()
  for (const e of events) {
    if (Array.isArray(e)) acc.apply(e[0], e[1])
    else acc.apply(e.event, e.data)
  }
  return acc
}

const start = (usage = '{"input_tokens":5,"output_tokens":1}') =>
  ['message_start', `{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[],"stop_reason":null,"stop_sequence":null,"usage":${usage}}}`] as [string, string]
const blockStart = (index: number, block: string) => ['content_block_start', `{"type":"content_block_start","index":${index},"content_block":${block}}`] as [string, string]
const delta = (index: number, d: string) => ['content_block_delta', `{"type":"content_block_delta","index":${index},"delta":${d}}`] as [string, string]
const blockStop = (index: number) => ['content_block_stop', `{"type":"content_block_stop","index":${index}}`] as [string, string]
const partialJson = (index: number, text: string) => delta(index, JSON.stringify({ type: 'input_json_delta', partial_json: text }))

describe('MessageAccumulator', () => {
  it.each(MESSAGE_KINDS)('rebuilds the %s stream into exactly the JSON text of the non-streaming Message', (kind) => {
    const fixture = messageFixture(kind)
    const acc = accumulate(fixture.events)

    expect(acc.toJSONText()).toBe(fixture.json)
    expect(acc.done).toBe(true)
    expect(acc.error).toBeNull()
  })

  it('rebuilds the Message from wire bytes split at every offset through the SSE parser', () => {
    const fixture = messageFixture('tool-use')
    const wire = Buffer.from(frameSse(fixture.events))
    for (let offset = 0; offset <= wire.length; offset += 7) {
      const acc = new MessageAccumulator()
      const parser = new SseParser((e) => acc.apply(e.event, e.data))
      parser.push(wire.subarray(0, offset))
      parser.push(wire.subarray(offset))
      expect(acc.toJSONText(), `split at byte ${offset}`).toBe(fixture.json)
    }
  })

  it('keeps a tool input integer above 2^53 and decimal text exact when its fragments split mid-token', () => {
    const acc = accumulate(messageFixture('tool-use').events)
    const text = acc.toJSONText() ?? ''

    expect(text).toContain(`"input":{"account_id":${BIG_INTEGER_TEXT},"query":"café ☕","limit":1.50,"tags":["a","b"]}`)
    expect(acc.stopReason).toBe('tool_use')
  })

  it('keeps numbers sent whole in content_block_start as the exact parser reads them, whichever parser took the event', () => {
    const acc = accumulate([
      start(),
      blockStart(0, `{"type":"server_tool_use","id":"s1","name":"lookup","input":{"id":${BIG_INTEGER_TEXT},"ratio":0.25,"scale":1e3}}`),
      blockStop(0),
      blockStart(1, '{"type":"server_tool_use","id":"s2","name":"lookup","input":{"id":900719925474099,"note":"v1.2 of 1234567890123456"}}'),
      blockStop(1),
    ])

    const text = acc.toJSONText() ?? ''
    expect(text).toContain(`"input":{"id":${BIG_INTEGER_TEXT},"ratio":0.25,"scale":1000}`)
    expect(text).toContain('"input":{"id":900719925474099,"note":"v1.2 of 1234567890123456"}')
  })

  it('keeps the input of content_block_start, or {}, when no partial JSON arrives', () => {
    const acc = accumulate([
      start(),
      blockStart(0, '{"type":"tool_use","id":"t1","name":"a","input":{"preset":true}}'),
      partialJson(0, ''),
      blockStop(0),
      blockStart(1, '{"type":"tool_use","id":"t2","name":"b"}'),
      partialJson(1, ' '),
      blockStop(1),
    ])

    const content = (JSON.parse(acc.toJSONText() ?? '') as { content: unknown[] }).content
    expect(content).toEqual([
      { type: 'tool_use', id: 't1', name: 'a', input: { preset: true } },
      { type: 'tool_use', id: 't2', name: 'b', input: {} },
    ])
  })

  it('keeps unparseable tool input as its raw string without throwing', () => {
    const acc = accumulate([start(), blockStart(0, '{"type":"tool_use","id":"t","name":"a","input":{}}'), partialJson(0, '{"path": "/tmp/'), blockStop(0)])

    expect(JSON.parse(acc.toJSONText() ?? '')).toMatchObject({ content: [{ input: '{"path": "/tmp/' }] })
  })

  it('parses a tool input still streaming as if its block had stopped', () => {
    const acc = accumulate([start(), blockStart(0, '{"type":"tool_use","id":"t","name":"a","input":{}}'), partialJson(0, '{"n": '), partialJson(0, `${BIG_INTEGER_TEXT}}`)])

    expect(acc.done).toBe(false)
    expect(acc.toJSONText()).toContain(`"input":{"n":${BIG_INTEGER_TEXT}}`)
  })

  it('merges usage across message_start and a message_delta that omits input tokens', () => {
    const acc = accumulate([
      start('{"input_tokens":12,"cache_creation_input_tokens":100,"cache_read_input_tokens":0,"output_tokens":1,"service_tier":"standard"}'),
      ['message_delta', '{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":null,"cache_read_input_tokens":50,"output_tokens":77}}'],
      ['message_stop', '{"type":"message_stop"}'],
    ])

    expect(acc.usage()).toEqual({ input_tokens: 12, cache_creation_input_tokens: 100, cache_read_input_tokens: 50, output_tokens: 77, service_tier: 'standard' })
    expect(acc.stopReason).toBe('end_turn')
  })

  it('records an error event mid-stream and still returns the message so far', () => {
    const acc = accumulate(streamErrorEvents())

    expect(acc.error).toEqual({ type: 'overloaded_error', message: 'Overloaded' })
    expect(acc.done).toBe(false)
    expect(acc.stopReason).toBeNull()
    expect(JSON.parse(acc.toJSONText() ?? '')).toMatchObject({ content: [{ type: 'text', text: 'Bonjour ! Voilà' }], stop_reason: null })
  })

  it('records an error payload whose event name is missing, and keeps unparseable error data as the message', () => {
    const byType = accumulate([[null, errorJson('api_error', 'Internal server error')]])
    const garbled = accumulate([['error', 'upstream exploded']])

    expect(byType.error).toEqual({ type: 'api_error', message: 'Internal server error' })
    expect(garbled.error).toEqual({ type: 'api_error', message: 'upstream exploded' })
  })

  it('ignores pings, unknown events, unknown deltas, unparseable data and events before message_start', () => {
    const acc = accumulate([
      blockStart(0, '{"type":"text","text":"early"}'),
      start(),
      ['ping', '{"type": "ping"}'],
      ['mystery_event', '{"type":"mystery_event","x":1}'],
      ['content_block_delta', '{not json'],
      blockStart(0, '{"type":"text","text":""}'),
      delta(0, '{"type":"future_delta","stuff":1}'),
      delta(0, '{"type":"text_delta","text":"ok"}'),
      delta(5, '{"type":"text_delta","text":"no such block"}'),
      blockStop(0),
    ])

    expect(JSON.parse(acc.toJSONText() ?? '')).toMatchObject({ content: [{ type: 'text', text: 'ok' }] })
  })

  it('copies unknown block types as they start and applies compaction deltas by assignment', () => {
    const acc = accumulate([
      start(),
      blockStart(0, '{"type":"compaction","content":null}'),
      delta(0, '{"type":"compaction_delta","content":"Summary of earlier turns.","encrypted_content":"enc"}'),
      blockStop(0),
      blockStart(1, '{"type":"code_execution_tool_result","tool_use_id":"srvtoolu_1","content":{"type":"code_execution_result","stdout":"4","stderr":"","return_code":0}}'),
      blockStop(1),
    ])

    expect(JSON.parse(acc.toJSONText() ?? '')).toMatchObject({
      content: [
        { type: 'compaction', content: 'Summary of earlier turns.', encrypted_content: 'enc' },
        { type: 'code_execution_tool_result', content: { stdout: '4', return_code: 0 } },
      ],
    })
  })

  it('sets message_delta fields such as stop_details and container before usage, keeping the API key order', () => {
    const acc = accumulate([
      start(),
      ['message_delta', '{"type":"message_delta","delta":{"stop_reason":"refusal","stop_sequence":null,"stop_details":{"type":"refusal","category":"cyber"},"container":{"id":"c1","expires_at":"2026-10-01T00:00:00Z"}},"usage":{"output_tokens":3}}'],
      ['message_stop', '{"type":"message_stop"}'],
    ])

    const text = acc.toJSONText() ?? ''
    expect(Object.keys(JSON.parse(text) as object)).toEqual(['id', 'type', 'role', 'model', 'content', 'stop_reason', 'stop_sequence', 'stop_details', 'container', 'usage'])
    expect(acc.stopReason).toBe('refusal')
  })

  it('returns null before message_start', () => {
    const acc = new MessageAccumulator()

    expect(acc.toJSONText()).toBeNull()
    expect(acc.usage()).toBeNull()
    expect(acc.done).toBe(false)
  })
})
