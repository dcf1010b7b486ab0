import Anthropic from '@anthropic-ai/sdk'
import { request } from 'node:http'
import { gunzipSync } from 'node:zlib'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BIG_INTEGER_TEXT, DEFAULT_MODEL, messageFixture } from '../support/anthropic-fixtures'
import { MOCK_HEADERS, ORGANIZATION_ID, startMockUpstream, type MockUpstream } from '../support/mock-upstream'
import { sdkClient } from '../support/sdk-client'

const params = {
  model: DEFAULT_MODEL,
  max_tokens: 256,
  messages: [{ role: 'user' as const, content: 'Hello' }],
}

/** The Message as JSON would carry it, without the SDK's own `parsed_output` helper field. */
function plain(message: object): unknown {
  const { parsed_output: _parsed, ...rest } = message as Record<string, unknown>
  return JSON.parse(JSON.stringify(rest))
}

/** Sends a raw request and collects the raw response bytes (no client decoding). */
function rawRequest(url: string, init: { method: string; path: string; headers?: Record<string, string>; body?: string }) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
    const req = request(`${url}${init.path}`, { method: init.method, headers: init.headers }, (res) => {
      const parts: Buffer[] = []
      res.on('data', (part: Buffer) => parts.push(part))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(init.body)
  })
}

describe('mock upstream', () => {
  let mock: MockUpstream
  let client: Anthropic

  beforeEach(async () => {
    mock = await startMockUpstream()
    client = sdkClient(mock.url)
  })
  afterEach(async () => {
    await mock.close()
  })

  it('answers a non-streaming request with a Message and realistic headers, recording the exact request bytes', async () => {
    const { data, response } = await client.messages.create(params).withResponse()

    expect(data.type).toBe('message')
    expect(data.content[0]).toMatchObject({ type: 'text', text: 'Bonjour ! Voilà un café ☕ très naïf, 日本語 et un sourire 😀.' })
    expect(data.usage).toMatchObject({ cache_creation: { ephemeral_5m_input_tokens: 1536, ephemeral_1h_input_tokens: 512 }, cache_read_input_tokens: 4096 })
    const [received] = mock.requests
    expect(response.headers.get('request-id')).toBe(received.requestId)
    expect(response.headers.get('anthropic-organization-id')).toBe(ORGANIZATION_ID)
    expect(response.headers.get('anthropic-ratelimit-unified-5h-utilization')).toBe('0.42')
    expect(received).toMatchObject({ method: 'POST', url: '/v1/messages', scenario: 'text' })
    expect(received.headers.authorization).toBe('Bearer sk-ant-test')
    expect(JSON.parse(received.body.toString())).toEqual(params)
    expect(received.response.finished).toBe(true)
  })

  it('streams a text answer that the SDK assembles into the same Message as the non-streaming answer', async () => {
    const stream = client.messages.stream(params)
    const final = await stream.finalMessage()

    expect(plain(final)).toEqual(JSON.parse(messageFixture('text', { id: final.id }).json))
    const [received] = mock.requests
    expect(received.scenario).toBe('stream-text')
    expect(received.response.headers['content-type']).toBe('text/event-stream; charset=utf-8')
    expect(received.response.headers['cache-control']).toBe('no-cache')
    const wire = mock.sentBody(received).toString()
    expect(wire.startsWith('event: message_start\ndata: {"type":"message_start"')).toBe(true)
    expect(wire).toContain('event: ping\ndata: {"type": "ping"}\n\n')
    expect(wire.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n')).toBe(true)
  })

  it.each(['tool-use', 'thinking', 'citations', 'server-tool'] as const)(
    'streams the %s kind into the same Message the SDK gets without streaming',
    async (kind) => {
      const headers = { [MOCK_HEADERS.scenario]: kind }
      const streamed = await client.messages.stream(params, { headers }).finalMessage()
      const whole = await client.messages.create(params, { headers })

      expect(plain({ ...streamed, id: '' })).toEqual(plain({ ...whole, id: '' }))
      expect(mock.requests.map((r) => r.scenario)).toEqual([kind, kind])
    },
  )

  it('sends the tool input integer above 2^53 as an exact JSON number, streamed and not', async () => {
    const streamed = await client.messages.stream(params, { headers: { [MOCK_HEADERS.scenario]: 'stream-tool-use' } }).finalMessage()
    const whole = await client.messages.create(params, { headers: { [MOCK_HEADERS.scenario]: 'tool-use' } })

    expect(streamed.stop_reason).toBe('tool_use')
    expect(whole.content[1]).toMatchObject({ type: 'tool_use', name: 'get_account', input: { query: 'café ☕', tags: ['a', 'b'] } })
    const [streamReq, jsonReq] = mock.requests
    const partials = mock
      .sentBody(streamReq)
      .toString()
      .split('\n')
      .filter((line) => line.includes('input_json_delta'))
      .map((line) => (JSON.parse(line.slice('data: '.length)) as { delta: { partial_json: string } }).delta.partial_json)
    expect(partials.join('')).toContain(`"account_id": ${BIG_INTEGER_TEXT}`)
    expect(partials.some((p) => BIG_INTEGER_TEXT.startsWith(p.slice(p.lastIndexOf(' ') + 1)) && p.length > 0)).toBe(true)
    expect(mock.sentBody(jsonReq).toString()).toContain(`"input":{"account_id":${BIG_INTEGER_TEXT},`)
  })

  it('answers rate-limited with 429, retry-after and the error envelope the SDK surfaces', async () => {
    const error = await client.messages.create(params, { headers: { [MOCK_HEADERS.scenario]: 'rate-limited' } }).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(Anthropic.RateLimitError)
    const apiError = error as InstanceType<typeof Anthropic.RateLimitError>
    expect(apiError.status).toBe(429)
    expect(apiError.headers.get('retry-after')).toBe('7')
    expect(apiError.headers.get('x-should-retry')).toBe('false')
    expect(apiError.requestID).toBe(mock.requests[0].requestId)
    expect(apiError.error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' }, request_id: mock.requests[0].requestId })
  })

  it('answers overloaded with 529 overloaded_error', async () => {
    const error = await client.messages.create(params, { headers: { [MOCK_HEADERS.scenario]: 'overloaded' } }).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(Anthropic.InternalServerError)
    expect((error as InstanceType<typeof Anthropic.APIError>).status).toBe(529)
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ error: { type: 'overloaded_error', message: 'Overloaded' } })
  })

  it('ends stream-error with an error event that the SDK raises mid-stream', async () => {
    const stream = client.messages.stream(params, { headers: { [MOCK_HEADERS.scenario]: 'stream-error' } })
    const texts: string[] = []
    stream.on('text', (text) => texts.push(text))
    const error = await stream.finalMessage().catch((e: unknown) => e)

    expect(error).toBeInstanceOf(Anthropic.APIError)
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } })
    expect(texts).toEqual(['Bonjour ! Voilà'])
  })

  it('counts tokens, lists models and answers ?beta=true', async () => {
    const counted = await client.messages.countTokens(params)
    const models = await client.models.list()
    const beta = await client.beta.messages.create({ ...params, betas: ['context-1m-2025-08-07'] }, { query: { beta: 'true' } })

    expect(counted.input_tokens).toBeGreaterThan(0)
    expect(models.data.map((m) => m.id)).toContain('claude-sonnet-4-5-20250929')
    expect(beta.type).toBe('message')
    expect(mock.requests.map((r) => [r.method, r.url, r.scenario])).toEqual([
      ['POST', '/v1/messages/count_tokens', 'count-tokens'],
      ['GET', '/v1/models', 'models'],
      ['POST', '/v1/messages?beta=true', 'text'],
    ])
    expect(mock.requests[2].headers['anthropic-beta']).toBe('context-1m-2025-08-07')
  })

  it('spaces slow-stream events so the first arrives long before the end', async () => {
    const stream = client.messages.stream(params, { headers: { [MOCK_HEADERS.scenario]: 'slow-stream', [MOCK_HEADERS.delayMs]: '40', [MOCK_HEADERS.events]: '6' } })
    let writesBeforeFirstEvent: number | undefined
    stream.on('streamEvent', () => {
      writesBeforeFirstEvent ??= mock.requests[0].response.chunks.length
    })
    const final = await stream.finalMessage()
    const sent = mock.requests[0].response

    expect(final.content[0]).toMatchObject({ text: 'word1 word2 word3 word4 word5 word6 ' })
    expect(writesBeforeFirstEvent).toBeLessThan(sent.chunks.length) // the first event arrived while the rest was still to come
    expect(sent.chunkOffsetsMs.at(-1)! - sent.chunkOffsetsMs[0]).toBeGreaterThanOrEqual(40 * 8)
  })

  it('holds a stream after the given writes until its gate is opened, then finishes it', async () => {
    // message_start, ping (which the SDK does not surface), content_block_start: then the gate.
    const stream = client.messages.stream(params, { headers: { [MOCK_HEADERS.gate]: 'first-text', [MOCK_HEADERS.holdAfter]: '3' } })
    const seen: string[] = []
    const atGate = new Promise<void>((resolve) =>
      stream.on('streamEvent', (event) => {
        seen.push(event.type)
        if (event.type === 'content_block_start') resolve()
      }),
    )
    await atGate
    expect(seen).toEqual(['message_start', 'content_block_start'])
    expect(mock.requests[0].response).toMatchObject({ finished: false })
    expect(mock.requests[0].response.chunks).toHaveLength(3)

    mock.openGate('first-text')
    await stream.finalMessage()
    expect(mock.requests[0].response.finished).toBe(true)
    expect(seen).toContain('message_stop')
  })

  it('splits stream writes at the requested byte size, across UTF-8 characters', async () => {
    await client.messages.stream(params, { headers: { [MOCK_HEADERS.chunkBytes]: '7' } }).finalMessage()

    const { chunks } = mock.requests[0].response
    expect(chunks.every((c) => c.length <= 7)).toBe(true)
    expect(chunks.some((c) => c.toString('utf8').includes('\ufffd'))).toBe(true)
  })

  it('fails the client when the socket is reset before headers or mid-stream', async () => {
    const beforeHeaders = await client.messages.create(params, { headers: { [MOCK_HEADERS.scenario]: 'reset-before-headers' } }).catch((e: unknown) => e)
    const midStream = client.messages.stream(params, { headers: { [MOCK_HEADERS.scenario]: 'reset-mid-stream' } })
    const events: string[] = []
    midStream.on('streamEvent', (e) => events.push(e.type))
    const midError = await midStream.finalMessage().catch((e: unknown) => e)

    expect(beforeHeaders).toBeInstanceOf(Anthropic.APIConnectionError)
    expect(midError).toBeInstanceOf(Error)
    expect(events).toContain('message_start')
    expect(events).not.toContain('message_stop')
    expect(mock.requests[1].response.finished).toBe(false)
    expect(mock.aborted).toEqual([])
  })

  it('records the abort when the client gives up on a hanging request', async () => {
    const controller = new AbortController()
    const pending = client.messages.create(params, { headers: { [MOCK_HEADERS.scenario]: 'hang' }, signal: controller.signal }).catch((e: unknown) => e)
    const [received] = await mock.waitForRequests(1)
    controller.abort()

    expect(await pending).toBeInstanceOf(Anthropic.APIUserAbortError)
    expect((await mock.waitForAbort(received.requestId)).response.status).toBeNull()
    expect(mock.aborted).toEqual([received.requestId])
  })

  it('gzips the JSON answer only when the client accepts gzip', async () => {
    const zipped = await rawRequest(mock.url, { method: 'POST', path: '/v1/messages', headers: { [MOCK_HEADERS.scenario]: 'gzip', 'accept-encoding': 'gzip, br' }, body: '{}' })
    const plain = await rawRequest(mock.url, { method: 'POST', path: '/v1/messages', headers: { [MOCK_HEADERS.scenario]: 'gzip' }, body: '{}' })

    expect(zipped.headers['content-encoding']).toBe('gzip')
    expect(zipped.body.equals(mock.sentBody(mock.requests[0]))).toBe(true)
    expect(JSON.parse(gunzipSync(zipped.body).toString())).toMatchObject({ type: 'message' })
    expect(plain.headers['content-encoding']).toBeUndefined()
    expect(JSON.parse(plain.body.toString())).toMatchObject({ type: 'message' })
  })

  it('echoes the request body bytes verbatim', async () => {
    const body = `{"n": ${BIG_INTEGER_TEXT}, "s": "é\\u00e9"}  `
    const echoed = await rawRequest(mock.url, { method: 'POST', path: '/v1/messages', headers: { [MOCK_HEADERS.scenario]: 'echo', 'content-type': 'application/json' }, body })

    expect(echoed.body.toString()).toBe(body)
    expect(mock.requests[0].body.toString()).toBe(body)
  })

  it('rejects a malformed JSON body with invalid_request_error', async () => {
    const answer = await rawRequest(mock.url, { method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/json' }, body: '{"model": ' })

    expect(answer.status).toBe(400)
    expect(JSON.parse(answer.body.toString())).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' }, request_id: mock.requests[0].requestId })
  })

  it('sets or removes response headers named in x-mock-response-headers', async () => {
    const headers = { [MOCK_HEADERS.responseHeaders]: JSON.stringify({ 'anthropic-ratelimit-unified-5h-utilization': '0', 'anthropic-ratelimit-unified-7d-utilization': null }) }
    const { response } = await client.messages.create(params, { headers }).withResponse()

    expect(response.headers.get('anthropic-ratelimit-unified-5h-utilization')).toBe('0')
    expect(response.headers.has('anthropic-ratelimit-unified-7d-utilization')).toBe(false)
  })
})

describe('mock upstream for benchmarks', () => {
  it('answers with text of the configured size in the configured number of events without recording', async () => {
    const mock = await startMockUpstream({ textBytes: 10_000, streamEvents: 32, record: false })
    try {
      const client = sdkClient(mock.url)
      const deltas: string[] = []
      const stream = client.messages.stream(params)
      stream.on('text', (t) => deltas.push(t))
      const final = await stream.finalMessage()

      expect(deltas).toHaveLength(32)
      expect(final.content[0]).toMatchObject({ type: 'text' })
      expect(deltas.join('')).toHaveLength(10_000)
      expect(mock.requests).toEqual([])
    } finally {
      await mock.close()
    }
  })
})
