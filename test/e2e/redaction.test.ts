/**
 * REDACT_PATTERNS (C5): what matches never reaches the database or the live views, while the
 * client and upstream still exchange the exact bytes.
 */
import Anthropic from '@anthropic-ai/sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_MODEL } from '../support/anthropic-fixtures'
import { queryGraphQL } from '../support/graphql-client'
import { MOCK_HEADERS } from '../support/mock-upstream'
import { startApp, waitFor, type TestApp } from '../support/start-app'

const SECRET = 'sk-live-0123456789abcdef'
/** Part of the mock's streamed answer, so the response side is redacted too. */
const ANSWER_WORD = 'Bonjour'
const FINGERPRINT = /redacted:[0-9a-f]{8}/

let app: TestApp

beforeAll(async () => {
  app = await startApp({ env: { REDACT_PATTERNS: `sk-live-[0-9a-f]{16},${ANSWER_WORD}` } })
})
afterAll(() => app?.close())

describe('body redaction', () => {
  it('stores a streamed exchange with every match fingerprinted, while client and upstream see the real bytes', async () => {
    const client = new Anthropic({ baseURL: app.url, apiKey: 'sk-ant-redaction', maxRetries: 0 })
    const content = `Deploy with ${SECRET}, then tell me about ${SECRET}.`
    const stream = client.messages.stream({ model: DEFAULT_MODEL, max_tokens: 64, messages: [{ role: 'user', content }] }, { headers: { [MOCK_HEADERS.scenario]: 'stream-text' } })
    const message = await stream.finalMessage()
    expect(JSON.stringify(message.content)).toContain(ANSWER_WORD)
    const [received] = await app.upstream.waitForRequests(1)
    expect(received!.body.toString()).toContain(SECRET)

    const { requests } = await waitFor(
      async () => {
        const data = await queryGraphQL<{ requests: { nodes: { id: string; status: string }[] } }>(app.url, '{ requests(first: 5) { nodes { id status } } }')
        return data.requests.nodes.some((n) => n.status === 'COMPLETED') ? data : null
      },
      'the completed record',
    )
    type Stored = { requestBodyText: string; requestBody: { messages: { content: string }[] }; responseBodyText: string; responseSse: string; chunks: { data: string }[] }
    const { request } = await queryGraphQL<{ request: Stored }>(app.url, 'query($id: ID!) { request(id: $id) { requestBodyText requestBody responseBodyText responseSse chunks { data } } }', { id: requests.nodes[0]!.id })

    const stored = JSON.stringify(request)
    expect(stored).not.toContain(SECRET)
    expect(stored).not.toContain(ANSWER_WORD)
    // One secret, one fingerprint, wherever it recurs; the body is still JSON.
    const [first, second] = request.requestBody.messages[0]!.content.match(new RegExp(FINGERPRINT, 'g'))!
    expect(first).toBe(second)
    expect(request.responseBodyText).toMatch(FINGERPRINT)
    expect(request.responseSse).toMatch(FINGERPRINT)
    expect(request.chunks.map((c) => c.data).join('')).toMatch(FINGERPRINT)

    const rows = (await app.app.dataSource.query(
      `SELECT count(*)::int AS n FROM requests r LEFT JOIN stream_chunks c ON c.request_id = r.id
       WHERE r.request_body LIKE $1 OR r.response_body LIKE $1 OR r.response_sse LIKE $1 OR c.data LIKE $1 OR r.request_body LIKE $2 OR c.data LIKE $2`,
      [`%${SECRET}%`, `%${ANSWER_WORD}%`],
    )) as { n: number }[]
    expect(rows[0]!.n).toBe(0)
  })
})

describe('header redaction', () => {
  let headerApp: TestApp

  beforeAll(async () => {
    headerApp = await startApp({ env: { REDACT_HEADERS: 'X-Internal-Secret' } })
  })
  afterAll(() => headerApp?.close())

  it('stores every rate-limit response header verbatim while credentials and install-named headers are fingerprinted', async () => {
    const res = await fetch(`${headerApp.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-headers', cookie: 'session=abc', 'x-internal-secret': 'internal-value', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: DEFAULT_MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
    })
    expect(res.status).toBe(200)
    await res.arrayBuffer()
    const [received] = await headerApp.upstream.waitForRequests(1)
    await headerApp.app.capture.flush()
    const [row] = (await headerApp.app.dataSource.query(`SELECT request_headers, response_headers FROM requests WHERE upstream_request_id = $1`, [received!.requestId])) as {
      request_headers: Record<string, string>
      response_headers: Record<string, string>
    }[]

    const sentRateLimits = Object.entries(received!.response.headers).filter(([name]) => name.startsWith('anthropic-ratelimit-'))
    expect(sentRateLimits.length).toBeGreaterThanOrEqual(20)
    for (const name of ['requests', 'tokens', 'input-tokens', 'output-tokens'].flatMap((kind) => ['limit', 'remaining', 'reset'].map((part) => `anthropic-ratelimit-${kind}-${part}`))) {
      expect(row!.response_headers[name]).toBe(received!.response.headers[name])
    }
    expect(Object.fromEntries(Object.entries(row!.response_headers).filter(([name]) => name.startsWith('anthropic-ratelimit-')))).toEqual(Object.fromEntries(sentRateLimits))

    const KEY = /^key:[0-9a-f]{8}$/
    expect(row!.request_headers['x-api-key']).toMatch(KEY)
    expect(row!.request_headers.cookie).toMatch(KEY)
    expect(row!.request_headers['x-internal-secret']).toMatch(KEY)
    expect(JSON.stringify(row)).not.toMatch(/sk-ant-headers|session=abc|internal-value/)
  })
})
