/**
 * Routing to an OpenAI-compatible provider end to end: the official Anthropic SDK talks to the
 * proxy about a routed model, a mock Chat Completions server answers in its own wire format, and
 * the client gets the Anthropic answer it would have had from Anthropic; the record names the
 * requested model, the routed one and the provider. No client credential ever reaches the provider.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import Anthropic from '@anthropic-ai/sdk'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_MODEL } from '../support/anthropic-fixtures'
import type { MockOpenAi } from '../support/mock-openai'
import { PROVIDER_KEY, startRoutingApp, storedRecord as storedRow, storedTokens, type RoutingApp } from '../support/routing-app'
import { apiErrorOf, sdkClient } from '../support/sdk-client'
import type { TestApp } from '../support/start-app'

const BIG = '12345678901234567890'
const CLIENT_KEY = 'sk-ant-client-secret'

let routing: RoutingApp
let openai: MockOpenAi
let app: TestApp
let client: Anthropic
let agentsDir: string

const REVIEWER_PROMPT = 'You review diffs for security problems.\n\n---\n\nNotes: be terse.'

beforeAll(async () => {
  agentsDir = await mkdtemp(path.join(os.tmpdir(), 'claudescope-agents-'))
  await writeFile(path.join(agentsDir, 'security-reviewer.md'), `---\r\nname: security-reviewer\r\ndescription: Reviews\r\n---\r\n${REVIEWER_PROMPT.replaceAll('\n', '\r\n')}\r\n`)
  routing = await startRoutingApp(
    ['models:', '  - match: "gpt-*"', '    provider: openai', '  - match: "claude-routed-*"', '    provider: openai', '    model: gpt-4.1-mini', 'subagents:', '  security-reviewer: { provider: openai, model: gpt-4.1-nano }'],
    [`agents_dirs: [${JSON.stringify(agentsDir)}]`],
  )
  ;({ app, openai } = routing)
  client = sdkClient(app.url, CLIENT_KEY)
})
afterAll(async () => {
  await routing?.close()
  if (agentsDir) await rm(agentsDir, { recursive: true, force: true })
})
beforeEach(() => {
  openai.requests.length = 0
  openai.script = { kind: 'answer', content: 'Hello from OpenAI' }
})

function lastProviderRequest(): { headers: Record<string, unknown>; body: any; raw: string } {
  const request = openai.requests.at(-1)!
  return { headers: request.headers, body: JSON.parse(request.body), raw: request.body }
}

const storedRecord = (upstreamRequestId: string) => storedRow(app, upstreamRequestId)

/** The Message the mock's answer translates to: its id and model, one text block, end_turn. */
function mockMessage(text: string, usage: { input_tokens: number; output_tokens: number; cache_read_input_tokens: number }) {
  return {
    id: 'chatcmpl-mock',
    type: 'message',
    role: 'assistant',
    model: 'gpt-4.1-2025-04-14',
    content: [{ type: 'text', text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: usage.input_tokens, output_tokens: usage.output_tokens, cache_creation_input_tokens: 0, cache_read_input_tokens: usage.cache_read_input_tokens },
  }
}

describe('a model routed to an OpenAI-compatible provider', () => {
  it('answers a non-streaming text request with the Anthropic Message translated from the completion', async () => {
    const { data: message, response } = await client.messages.create({ model: 'gpt-4.1', max_tokens: 100, messages: [{ role: 'user', content: 'Say hello' }] }).withResponse()
    expect(message).toEqual(mockMessage('Hello from OpenAI', { input_tokens: 20, output_tokens: 7, cache_read_input_tokens: 0 }))
    expect(response.headers.get('request-id')).toMatch(/^req_openai_\d+$/)
    const sent = lastProviderRequest()
    expect(sent.body).toEqual({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'Say hello' }], max_completion_tokens: 100 })
    expect(openai.requests.at(-1)!.url).toBe('/v1/chat/completions')
  })

  it('never sends the client’s Anthropic credentials to the provider, only the key from the configuration', async () => {
    await client.messages.create({ model: 'gpt-4.1', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }, { headers: { authorization: `Bearer ${CLIENT_KEY}`, 'anthropic-beta': 'x' } })
    const { headers } = lastProviderRequest()
    expect(headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`)
    expect(headers['x-api-key']).toBeUndefined()
    expect(headers['anthropic-beta']).toBeUndefined()
    expect(headers['anthropic-version']).toBeUndefined()
    for (const request of openai.requests) expect(JSON.stringify(request.headers) + request.body).not.toContain(CLIENT_KEY)
  })

  it('streams text as a well-formed Anthropic stream whose final message the SDK assembles', async () => {
    openai.script = { kind: 'answer', content: 'Streaming hello, in pieces', usage: { prompt_tokens: 300, completion_tokens: 9, cached_tokens: 256 } }
    const stream = client.messages.stream({ model: 'gpt-4.1', max_tokens: 100, messages: [{ role: 'user', content: 'Say hello' }] })
    const texts: string[] = []
    stream.on('text', (text) => texts.push(text))
    // parsed_output is the SDK's own addition to the message it assembles, not part of the stream.
    const { parsed_output: _parsed, ...message } = await stream.finalMessage()
    expect(texts.length).toBeGreaterThan(1)
    expect(message).toEqual(mockMessage('Streaming hello, in pieces', { input_tokens: 44, output_tokens: 9, cache_read_input_tokens: 256 }))
    expect(lastProviderRequest().body).toMatchObject({ stream: true, stream_options: { include_usage: true } })
  })

  it('streams a tool call as a tool_use block with input_json_delta, an integer above 2^53 exact on the wire', async () => {
    const args = `{"path":"/tmp/notes.txt","offset":${BIG}}`
    openai.script = { kind: 'answer', toolCalls: [{ id: 'call_1', name: 'Read', arguments: args }], pieceChars: 5 }
    const res = await fetch(`${app.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'gpt-4.1', max_tokens: 100, stream: true, tools: [{ name: 'Read', input_schema: { type: 'object' } }], messages: [{ role: 'user', content: 'read it' }] }),
    })
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const sse = await res.text()
    expect(sse.startsWith('event: message_start\ndata: ')).toBe(true)
    expect(sse).toContain('event: ping\n')
    const partials = [...sse.matchAll(/"partial_json":("(?:[^"\\]|\\.)*")/g)].map((m) => JSON.parse(m[1]!) as string)
    expect(partials.join('')).toBe(args)
    expect(sse).toContain('"stop_reason":"tool_use"')
    expect(sse.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n')).toBe(true)
  })

  it('gives the SDK parallel streamed tool calls as tool_use blocks in its final message', async () => {
    openai.script = { kind: 'answer', content: 'Reading both.', toolCalls: [{ id: 'call_a', name: 'Read', arguments: '{"path":"a.txt"}' }, { id: 'call_b', name: 'Read', arguments: '{"path":"b.txt"}' }] }
    const message = await client.messages
      .stream({ model: 'gpt-4.1', max_tokens: 100, tools: [{ name: 'Read', input_schema: { type: 'object' } }], messages: [{ role: 'user', content: 'read both' }] })
      .finalMessage()
    expect(message.content).toEqual([
      { type: 'text', text: 'Reading both.' },
      { type: 'tool_use', id: 'call_a', name: 'Read', input: { path: 'a.txt' } },
      { type: 'tool_use', id: 'call_b', name: 'Read', input: { path: 'b.txt' } },
    ])
    expect(message.stop_reason).toBe('tool_use')
  })

  it('sends a tool-use round trip as tool_calls and a tool message, the call’s big integer exact, and an image as a data URL', async () => {
    const body = `{"model":"gpt-4.1","max_tokens":50,"messages":[` +
      `{"role":"user","content":[{"type":"text","text":"look"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}]},` +
      `{"role":"assistant","content":[{"type":"tool_use","id":"call_1","name":"Read","input":{"offset":${BIG}}}]},` +
      `{"role":"user","content":[{"type":"tool_result","tool_use_id":"call_1","content":"done","is_error":false}]}]}`
    const res = await fetch(`${app.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' }, body })
    expect(res.status).toBe(200)
    const { raw, body: sent } = lastProviderRequest()
    expect(raw).toContain(`"arguments":"{\\"offset\\":${BIG}}"`)
    expect(sent.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'Read', arguments: `{"offset":${BIG}}` } }] },
      { role: 'tool', tool_call_id: 'call_1', content: 'done' },
    ])
  })

  it('sends the model the route names instead of the requested one and records requested model, routed model and provider', async () => {
    const { response } = await client.messages.create({ model: 'claude-routed-haiku', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).withResponse()
    expect(lastProviderRequest().body.model).toBe('gpt-4.1-mini')
    const record = await storedRecord(response.headers.get('request-id')!)
    expect(record).toMatchObject({ model: 'claude-routed-haiku', routed_model: 'gpt-4.1-mini', provider: 'openai', translation: 'anthropic-to-chat-completions', status: 'COMPLETED', stop_reason: 'end_turn' })
  })

  it('records a routed stream’s usage with cached prompt tokens as cache reads, not also as input', async () => {
    openai.script = { kind: 'answer', content: 'cached', usage: { prompt_tokens: 1000, completion_tokens: 3, cached_tokens: 900 } }
    const stream = client.messages.stream({ model: 'gpt-4.1', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
    await stream.finalMessage()
    const requestId = (await stream.withResponse()).response.headers.get('request-id')!
    const record = await storedRecord(requestId)
    expect(record).toMatchObject({ model: 'gpt-4.1', routed_model: null, provider: 'openai', translation: 'anthropic-to-chat-completions', status: 'COMPLETED' })
    expect(storedTokens(record)).toEqual([100, 3, 900])
  })

  it('ends a routed stream the provider cuts with an error event the SDK raises, and records it failed', async () => {
    openai.script = { kind: 'answer', content: 'This answer is cut short', resetAfterChunks: 3 }
    const stream = client.messages.stream({ model: 'gpt-4.1', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
    const texts: string[] = []
    stream.on('text', (text) => texts.push(text))
    const err = await stream.finalMessage().then(() => null, (e: unknown) => e)
    expect(err).toBeInstanceOf(Anthropic.APIError)
    expect(texts.join('')).toBe('This ans')
    const requestId = (await stream.withResponse()).response.headers.get('request-id')!
    expect(await storedRecord(requestId)).toMatchObject({ provider: 'openai', status: 'FAILED' })
  })

  it('turns a provider error into the Anthropic error the SDK raises for that status', async () => {
    openai.script = { kind: 'error', status: 429, message: 'Rate limit reached for gpt-4.1', type: 'requests', code: 'rate_limit_exceeded' }
    const err = await apiErrorOf(client.messages.create({ model: 'gpt-4.1', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }))
    expect(err).toBeInstanceOf(Anthropic.RateLimitError)
    expect(err.error).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: 'openai: Rate limit reached for gpt-4.1' } })
  })

  it('leaves a body that is not JSON, whose model cannot be read, to Anthropic and never calls the provider', async () => {
    const res = await fetch(`${app.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY }, body: '{"model":"gpt-4.1",' })
    // Not JSON, so no model can be read: it is not routed and goes to Anthropic, which decides.
    expect(openai.requests).toHaveLength(0)
    await res.text()
  })

  it('routes a Claude Code subagent recognised by its system prompt to the model its route names', async () => {
    const system = [
      { type: 'text' as const, text: "You are Claude Code, Anthropic's official CLI for Claude." },
      { type: 'text' as const, text: `${REVIEWER_PROMPT}\n\nEnvironment: linux, cwd /work` },
    ]
    const { response } = await client.messages.create({ model: DEFAULT_MODEL, max_tokens: 10, system, messages: [{ role: 'user', content: 'review' }] }).withResponse()
    expect(lastProviderRequest().body.model).toBe('gpt-4.1-nano')
    expect(await storedRecord(response.headers.get('request-id')!)).toMatchObject({ model: DEFAULT_MODEL, routed_model: 'gpt-4.1-nano', provider: 'openai' })
  })

  it('forwards a model no route matches to Anthropic unchanged, with the client’s credentials', async () => {
    const before = app.upstream.requests.length
    const message = await client.messages.create({ model: DEFAULT_MODEL, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
    expect(message.model).toBe(DEFAULT_MODEL)
    expect(openai.requests).toHaveLength(0)
    const [received] = (await app.upstream.waitForRequests(before + 1)).slice(before)
    expect(received!.rawHeaders.join('\n')).toContain(CLIENT_KEY)
  })
})
