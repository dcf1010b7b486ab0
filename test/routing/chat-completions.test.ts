/**
 * POST /v1/chat/completions as an OpenAI-compatible pass-through: the official `openai` client
 * talks to the proxy, the request goes to the provider named `openai` in the routing file with
 * that provider's key (never the client's), the answer comes back byte for byte, and the exchange
 * is recorded like any other, with provider "openai" and usage read from OpenAI's fields.
 */
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { MockOpenAi } from '../support/mock-openai'
import { PROVIDER_KEY, startRoutingApp, storedRecord as storedRow, storedTokens as tokens, type RoutingApp } from '../support/routing-app'
import { startApp, type TestApp } from '../support/start-app'

const CLIENT_KEY = 'sk-client-own-key'

let routing: RoutingApp
let openai: MockOpenAi
let app: TestApp
let client: OpenAI

beforeAll(async () => {
  routing = await startRoutingApp([])
  ;({ app, openai } = routing)
  client = new OpenAI({ baseURL: `${app.url}/v1`, apiKey: CLIENT_KEY, maxRetries: 0 })
})
afterAll(() => routing?.close())
beforeEach(() => {
  openai.requests.length = 0
  openai.script = { kind: 'answer', content: 'Hello from OpenAI', usage: { prompt_tokens: 1000, completion_tokens: 12, cached_tokens: 600 } }
})

const storedRecord = (upstreamRequestId: string) => storedRow(app, upstreamRequestId)

describe('POST /v1/chat/completions', () => {
  it('passes a completion through to the provider with the configured key and records it with OpenAI’s usage', async () => {
    const { data: completion, response } = await client.chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'Say hello' }] }).withResponse()
    expect(completion.choices[0]!.message.content).toBe('Hello from OpenAI')
    expect(completion.object).toBe('chat.completion')
    const sent = openai.requests.at(-1)!
    expect(sent.url).toBe('/v1/chat/completions')
    expect(sent.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`)
    expect(JSON.stringify(sent.headers)).not.toContain(CLIENT_KEY)
    expect(JSON.parse(sent.body)).toEqual({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'Say hello' }] })
    const record = await storedRecord(response.headers.get('x-request-id')!)
    expect(record).toMatchObject({ path: '/v1/chat/completions', model: 'gpt-4.1', routed_model: null, provider: 'openai', translation: null, status: 'COMPLETED', stream: false, stop_reason: 'end_turn' })
    expect(tokens(record)).toEqual([400, 12, 600])
  })

  it('relays a stream chunk by chunk and records its usage from the last chunk', async () => {
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'gpt-4.1', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Say hello' }] })
      .withResponse()
    let text = ''
    let usage: OpenAI.CompletionUsage | null | undefined
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? ''
      if (chunk.usage) usage = chunk.usage
    }
    expect(text).toBe('Hello from OpenAI')
    expect(usage).toMatchObject({ prompt_tokens: 1000, completion_tokens: 12 })
    const record = await storedRecord(response.headers.get('x-request-id')!)
    expect(record).toMatchObject({ provider: 'openai', status: 'COMPLETED', stream: true, stop_reason: 'end_turn' })
    expect(tokens(record)).toEqual([400, 12, 600])
  })

  it('relays a provider error with its status, which the client raises as its own error class', async () => {
    openai.script = { kind: 'error', status: 429, message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' }
    const err = await client.chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OpenAI.RateLimitError)
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).message).toContain('Rate limit reached')
    const record = await storedRecord((err as InstanceType<typeof OpenAI.RateLimitError>).headers!.get('x-request-id')!)
    expect(record).toMatchObject({ provider: 'openai', status: 'FAILED' })
  })
})

describe('POST /v1/chat/completions without an openai provider', () => {
  it('answers 404 itself, so neither the body nor the client credentials reach Anthropic, and records the refusal', async () => {
    const plain = await startApp()
    try {
      const unrouted = new OpenAI({ baseURL: `${plain.url}/v1`, apiKey: CLIENT_KEY, maxRetries: 0 })
      const error = await unrouted.chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] }).catch((err: unknown) => err)
      expect(error).toBeInstanceOf(OpenAI.NotFoundError)
      expect((error as InstanceType<typeof OpenAI.NotFoundError>).message).toContain('needs a provider named openai')
      expect(plain.upstream.requests).toEqual([])
      await plain.app.capture.flush()
      const [row] = (await plain.app.dataSource.query(`SELECT path, status, http_status, error_code FROM requests`)) as Record<string, unknown>[]
      expect(row).toEqual({ path: '/v1/chat/completions', status: 'FAILED', http_status: 404, error_code: 'CHAT_COMPLETIONS_NOT_CONFIGURED' })
    } finally {
      await plain.close()
    }
  })
})
