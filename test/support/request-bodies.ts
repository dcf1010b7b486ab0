import { BIG_INTEGER_TEXT } from './anthropic-fixtures'

/** A tiny PNG, base64, as an image block carries it. */
const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='

const SYSTEM = [
  { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude." },
  { type: 'text', text: 'Instructions…\n\t"quoted" \\ back\\slash, café ☕, 日本語, 😀', cache_control: { type: 'ephemeral' } },
]

const TOOLS = [
  { name: 'Read', description: 'Reads a file', input_schema: { type: 'object', properties: { file_path: { type: 'string' } }, required: ['file_path'] } },
  { name: 'Bash', description: 'Runs a command', input_schema: { type: 'object', properties: { command: { type: 'string' }, timeout: { type: 'number', maximum: 600000 } } }, cache_control: { type: 'ephemeral', ttl: '1h' } },
]

/** Messages of every kind Claude Code sends: text, image, document, tool_use/tool_result, thinking, redacted thinking, cache_control. */
const MESSAGES = [
  { role: 'user', content: [{ type: 'text', text: '<system-reminder>boilerplate</system-reminder>' }, { type: 'text', text: 'Fix the failing test' }] },
  { role: 'assistant', content: [{ type: 'thinking', thinking: 'Let me look.', signature: 'EqQBCkYIARgCKkB' }, { type: 'tool_use', id: 'toolu_01', name: 'Read', input: { file_path: '/repo/a.ts' } }] },
  { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: [{ type: 'text', text: 'export const a = 1\n' }] }] },
  { role: 'assistant', content: [{ type: 'redacted_thinking', data: 'EmwKAhgBEgy3' }, { type: 'text', text: 'Here is the screenshot.' }] },
  {
    role: 'user',
    content: [
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_BASE64 } },
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0xLjQK' }, title: 'spec.pdf' },
      { type: 'text', text: 'What does it say?', cache_control: { type: 'ephemeral' } },
    ],
  },
]

/**
 * Request bodies of every shape capture must give back exactly: valid JSON of every message kind,
 * large integers (kept only as text), formatted JSON, duplicate keys, odd member types, and text
 * that is not JSON at all. `storedWhole`: no part is cut out of it.
 */
export const REQUEST_BODY_CASES: ReadonlyArray<{ name: string; body: string; storedWhole?: true }> = [
  { name: 'a Claude Code turn with every message kind', body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 32000, system: SYSTEM, tools: TOOLS, messages: MESSAGES, metadata: { user_id: 'user_abc' }, stream: true }) },
  {
    name: 'integers above 2^53 inside messages and tools',
    body: `{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"${BIG_INTEGER_TEXT}"}],"n":${BIG_INTEGER_TEXT}}],"tools":[{"name":"x","input_schema":{"maximum":${BIG_INTEGER_TEXT}1.5e400}}],"max_tokens":${BIG_INTEGER_TEXT}}`,
  },
  { name: 'formatted JSON with whitespace around every element', body: JSON.stringify({ model: 'm', system: SYSTEM, messages: MESSAGES.slice(0, 2) }, null, 2).replaceAll('\n', '\r\n') },
  { name: 'a key written twice', body: '{"messages":[{"role":"user","content":"first"}],"model":"m","messages":[{"role":"user","content":"second"},{"role":"assistant","content":"x"}]}' },
  { name: 'a system prompt given as a string, and empty arrays', body: '{"model":"m","system":"be brief","tools":[],"messages":[ ]}', storedWhole: true },
  { name: 'arrays of scalars and nested arrays', body: '{"messages":[1,"two",null,true,[3,[4]],{"a":[]}],"system":[[]]}' },
  { name: 'escapes and non-ASCII text in parts', body: '{"messages":[{"role":"user","content":"\\u0001 \\"quoted\\" \\\\ \\n café ☕ 😀 \\ud83d\\ude00"}]}' },
  { name: 'text that is not JSON', body: '{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"cut off', storedWhole: true },
  { name: 'a JSON array at the top', body: '[{"messages":[1,2]}]', storedWhole: true },
]

/**
 * A conversation's request body at `turn`, as Claude Code resends it: the same system prompt and
 * tools in every conversation, then the conversation's messages so far, one more each turn.
 */
export function conversationTurnBody(conversation: string, turn: number): string {
  const messages = Array.from({ length: turn + 1 }, (_, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content: `${conversation} message ${i}: ${'text '.repeat(200)}` }))
  return JSON.stringify({
    model: 'claude-sonnet-4-5',
    max_tokens: 1024,
    system: [{ type: 'text', text: `system prompt ${'s'.repeat(5000)}`, cache_control: { type: 'ephemeral' } }],
    tools: Array.from({ length: 5 }, (_, i) => ({ name: `tool${i}`, description: 'd'.repeat(1000), input_schema: { type: 'object' } })),
    messages,
  })
}
