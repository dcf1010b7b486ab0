import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { genAiSpanOf } from '../../server/telemetry/genai-span'
import { makeRecord } from '../support/record-fixtures'
import { scenario, sdkClient, apiErrorOf } from '../support/sdk-client'
import { startApp } from '../support/start-app'
import { DEFAULT_MODEL } from '../support/anthropic-fixtures'

/** An OTLP/HTTP collector that keeps what it receives on /v1/traces. */
async function startCollector() {
  const received: { contentType: string; body: Buffer }[] = []
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = []
    req.on('data', (part: Buffer) => parts.push(part))
    req.on('end', () => {
      if (req.url === '/v1/traces') received.push({ contentType: String(req.headers['content-type']), body: Buffer.concat(parts) })
      res.writeHead(req.url === '/v1/traces' ? 200 : 404, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
let collector: Awaited<ReturnType<typeof startCollector>> | undefined
afterEach(async () => {
  await collector?.close()
})

interface JsonSpan {
  name: string
  kind: number
  startTimeUnixNano: string | number
  endTimeUnixNano: string | number
  status?: { code?: number; message?: string }
  attributes: { key: string; value: Record<string, unknown> }[]
}

/** The spans of OTLP/JSON export bodies, their attributes as plain values, and each integer marked as such. */
function spansOf(bodies: Buffer[]) {
  const spans: JsonSpan[] = bodies.flatMap((body) => {
    const json = JSON.parse(body.toString()) as { resourceSpans: { resource: unknown; scopeSpans: { spans: JsonSpan[] }[] }[] }
    return json.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans))
  })
  return spans.map((span) => ({
    ...span,
    values: Object.fromEntries(
      span.attributes.map(({ key, value }) => {
        if ('intValue' in value) return [key, { int: Number(value.intValue) }]
        if ('arrayValue' in value) return [key, (value.arrayValue as { values: { stringValue: string }[] }).values.map((v) => v.stringValue)]
        return [key, Object.values(value)[0]]
      }),
    ) as Record<string, unknown>,
  }))
}

describe('genAiSpanOf', () => {
  it('names the span after the operation and model, and counts cache reads and writes inside input tokens', () => {
    const record = makeRecord({
      model: 'claude-sonnet-4-6',
      requestHeaders: { 'x-claude-code-session-id': '2f1c7d0e-5b7a-4c3e-9d8f-0a1b2c3d4e5f' },
      responseBody: '{"id":"msg_01Abc","type":"message","model":"claude-sonnet-4-6-20260101","content":[]}',
      usage: { inputTokens: 12, outputTokens: 42, cacheCreationInputTokens: 2048, cacheCreation5mInputTokens: 1536, cacheCreation1hInputTokens: 512, cacheReadInputTokens: 4096, thinkingTokens: null, webSearchRequests: null, webFetchRequests: null, serviceTier: 'standard', inferenceGeo: null },
    })
    const span = genAiSpanOf(record)
    expect(span.name).toBe('chat claude-sonnet-4-6')
    expect(span.error).toBeNull()
    expect(span.startTime).toEqual(record.startedAt)
    expect(span.endTime).toEqual(record.completedAt)
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-4-6',
      'gen_ai.response.model': 'claude-sonnet-4-6-20260101',
      'gen_ai.response.id': 'msg_01Abc',
      'gen_ai.response.finish_reasons': ['end_turn'],
      'gen_ai.usage.input_tokens': 6156, // 12 + 2048 + 4096
      'gen_ai.usage.output_tokens': 42,
      'gen_ai.usage.cache_read.input_tokens': 4096,
      'gen_ai.usage.cache_creation.input_tokens': 2048,
      'http.response.status_code': 200,
      'gen_ai.conversation.id': '2f1c7d0e-5b7a-4c3e-9d8f-0a1b2c3d4e5f',
    })
  })

  it('marks an upstream error with its status as error.type, and leaves out the usage nobody reported', () => {
    const span = genAiSpanOf(makeRecord({ status: 'COMPLETED', httpStatus: 429, stopReason: null, responseBody: '{"type":"error"}', usage: null, error: null }))
    expect(span.error).toBe('upstream answered 429')
    expect(span.attributes['error.type']).toBe('429')
    expect(span.attributes).not.toHaveProperty('gen_ai.usage.input_tokens')
    expect(span.attributes).not.toHaveProperty('gen_ai.response.finish_reasons')
  })

  it('names a request to another endpoint by method and path, without a GenAI operation', () => {
    const span = genAiSpanOf(makeRecord({ method: 'POST', path: '/v1/messages/count_tokens', usage: null, stopReason: null }))
    expect(span.name).toBe('POST /v1/messages/count_tokens')
    expect(span.attributes).not.toHaveProperty('gen_ai.operation.name')
  })
})

describe('OTLP span export', () => {
  it('sends one span per exchange over OTLP/HTTP JSON, with integer token counts and error status', async () => {
    collector = await startCollector()
    const app = await startApp({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_SERVICE_NAME: 'claudescope-test' } })
    const sdk = sdkClient(app.url)
    await sdk.messages.create({ model: DEFAULT_MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'plain' }] })
    await sdk.messages.stream({ model: DEFAULT_MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'streamed' }] }).finalMessage()
    await apiErrorOf(sdk.messages.create({ model: DEFAULT_MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'limited' }] }, { ...scenario('rate-limited'), maxRetries: 0 }))
    // Closing flushes the spans still waiting in the batch.
    await app.close()

    expect(collector.received.every((r) => r.contentType.startsWith('application/json'))).toBe(true)
    const spans = spansOf(collector.received.map((r) => r.body))
    expect(spans).toHaveLength(3)
    const [plain, streamed, limited] = spans.sort((a, b) => Number(a.startTimeUnixNano) - Number(b.startTimeUnixNano))
    for (const span of [plain!, streamed!]) {
      expect(span.name).toBe(`chat ${DEFAULT_MODEL}`)
      expect(span.kind).toBe(3) // CLIENT
      expect(span.values).toMatchObject({
        'gen_ai.provider.name': 'anthropic',
        'gen_ai.request.model': DEFAULT_MODEL,
        'gen_ai.response.model': DEFAULT_MODEL,
        // The mock reports 12 fresh, 2,048 cache-write and 4,096 cache-read input tokens and 42 output.
        'gen_ai.usage.input_tokens': { int: 6156 },
        'gen_ai.usage.output_tokens': { int: 42 },
        'gen_ai.usage.cache_read.input_tokens': { int: 4096 },
        'gen_ai.usage.cache_creation.input_tokens': { int: 2048 },
        'gen_ai.response.finish_reasons': ['end_turn'],
      })
      expect(span.status?.code ?? 0).not.toBe(2)
    }
    expect(streamed!.values['claudescope.stream']).toBe(true)
    expect(limited!.values).toMatchObject({ 'http.response.status_code': { int: 429 }, 'error.type': '429' })
    expect(limited!.status?.code).toBe(2) // ERROR
  })

  it('sends OTLP/HTTP protobuf by default', async () => {
    collector = await startCollector()
    const app = await startApp({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url } })
    await sdkClient(app.url).messages.create({ model: DEFAULT_MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'plain' }] })
    await app.close()
    expect(collector.received.map((r) => r.contentType)).toEqual(['application/x-protobuf'])
    const body = collector.received[0]!.body.toString('latin1')
    for (const text of ['gen_ai.request.model', DEFAULT_MODEL, 'gen_ai.usage.input_tokens', 'claudescope']) expect(body).toContain(text)
  })
})
