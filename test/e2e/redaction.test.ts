/**
 * REDACT_PATTERNS, secrets never stored: what matches never reaches the database or the live views, while the
 * client and upstream still exchange the exact bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { graphql } from '../../client/src/graphql/graphql'
import type { LiveEvent } from '../../server/live/live-bus'
import { DEFAULT_MODEL } from '../support/anthropic-fixtures'
import { queryGraphQL } from '../support/graphql-client'
import { MOCK_HEADERS } from '../support/mock-upstream'
import { storedChunkRows, withWholeBodies, type StoredBodyColumns } from '../support/stored-records'
import { sdkClient } from '../support/sdk-client'
import { startApp, type TestApp } from '../support/start-app'
import { waitFor } from '../support/wait'

const SECRET = 'sk-live-0123456789abcdef'
/** Part of the mock's streamed answer, so the response side is redacted too. */
const ANSWER_WORD = 'Bonjour'
const FINGERPRINT = /redacted:[0-9a-f]{8}/
/**
 * Secrets the mock streams across text deltas; its answer comes as the pieces
 * 'Bonjour ! Voilà' | ' un café ☕ très' | ' naïf, 日本語' | ' et un sourire 😀.'
 */
const ACROSS_THREE_DELTAS = 'Voilà un café ☕ très naïf'
const ACROSS_TWO_DELTAS = '日本語 et un'
/** Parts of the mock's error texts: an HTTP error's envelope and an SSE error event. */
const HTTP_ERROR_WORDS = 'exceed the rate limit'
const STREAM_ERROR_WORD = 'Overloaded'
/**
 * What backtracks exponentially in JavaScript's engine on 'aaa…b'. The '!' keeps it off ordinary
 * text: `(a+)+$` alone also matches every header value that ends in 'a', such as one request-id in 62.
 */
const CATASTROPHIC = '(a+)+!$'
/** No stored or published text may hold any of these (each is part of a match). */
const SECRET_PIECES = [SECRET, ANSWER_WORD, 'Voil', 'café', 'très', 'naïf', '日本語', ' et un', HTTP_ERROR_WORDS, STREAM_ERROR_WORD]

let app: TestApp
/** Every live event the app published since start. */
const published: LiveEvent[] = []
let subscription: AsyncIterableIterator<LiveEvent>

beforeAll(async () => {
  const patterns = [`sk-live-[0-9a-f]{16}`, ANSWER_WORD, ACROSS_THREE_DELTAS, ACROSS_TWO_DELTAS, HTTP_ERROR_WORDS, STREAM_ERROR_WORD, CATASTROPHIC]
  app = await startApp({ env: { REDACT_PATTERNS: patterns.join(',') } })
  subscription = app.app.bus.subscribe()
  void (async () => {
    for await (const event of subscription) published.push(event)
  })()
})
afterAll(async () => {
  await subscription?.return?.()
  await app?.close()
})

function expectNoSecretPiece(what: string, text: string): void {
  for (const piece of SECRET_PIECES) expect(text, `${what} holds ${JSON.stringify(piece)}`).not.toContain(piece)
}

/** Sends one request straight to the proxy (no SDK, so the query and headers are exactly these). */
async function send(options: { query?: string; headers?: Record<string, string>; body: Record<string, unknown> }) {
  const response = await fetch(`${app.url}/v1/messages${options.query ?? ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-redaction', ...options.headers },
    body: JSON.stringify({ model: DEFAULT_MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }], ...options.body }),
  })
  const bytes = Buffer.from(await response.arrayBuffer())
  const upstreamRequestId = response.headers.get('request-id')!
  const received = app.upstream.requests.find((r) => r.requestId === upstreamRequestId)!
  return { response, bytes, received, upstreamRequestId }
}

type StoredRow = Record<string, unknown> & StoredBodyColumns & { status: string }

/** The final row of the exchange upstream answered with `upstreamRequestId` (its request body whole), and its stream chunks in order. */
async function stored(upstreamRequestId: string) {
  const raw = await waitFor(async () => {
    const rows = (await app.app.dataSource.query(`SELECT * FROM requests WHERE upstream_request_id = $1 AND status <> 'IN_FLIGHT'`, [upstreamRequestId])) as StoredRow[]
    return rows[0]
  }, `the final record of ${upstreamRequestId}`)
  const row = await withWholeBodies(app.app.dataSource, raw)
  const chunks = await storedChunkRows(app.app.dataSource, row.id)
  return { row, chunks }
}

/** Live events published about one record, once its final record was published. */
async function publishedAbout(id: string): Promise<LiveEvent[]> {
  const about = (e: LiveEvent) => (e.kind === 'request' ? e.record.id === id : e.kind === 'chunk' ? e.request.id === id : e.kind === 'rateLimit' && e.snapshot.requestId === id)
  await waitFor(() => published.some((e) => e.kind === 'request' && e.record.id === id && e.record.status !== 'IN_FLIGHT'), 'the final record published live')
  return published.filter(about)
}

describe('body redaction', () => {
  it('stores a streamed exchange with every match fingerprinted, while client and upstream see the real bytes', async () => {
    const client = sdkClient(app.url, 'sk-ant-redaction')
    const content = `Deploy with ${SECRET}, then tell me about ${SECRET}.`
    const stream = client.messages.stream({ model: DEFAULT_MODEL, max_tokens: 64, messages: [{ role: 'user', content }] }, { headers: { [MOCK_HEADERS.scenario]: 'stream-text' } })
    const message = await stream.finalMessage()
    expect(JSON.stringify(message.content)).toContain(ANSWER_WORD)
    const [received] = await app.upstream.waitForRequests(1)
    expect(received!.body.toString()).toContain(SECRET)

    const { requests } = await waitFor(
      async () => {
        const data = await queryGraphQL(app.url, graphql('query RecentRequests { requests(first: 5) { nodes { id status } } }'))
        return data.requests.nodes.some((n) => n.status === 'COMPLETED') ? data : null
      },
      'the completed record',
    )
    const request = (await queryGraphQL(app.url, graphql('query StoredBodies($id: ID!) { request(id: $id) { requestBodyText requestBody responseBodyText responseSse chunks { data } } }'), { id: requests.nodes[0]!.id })).request!

    const stored = JSON.stringify(request)
    expect(stored).not.toContain(SECRET)
    expect(stored).not.toContain(ANSWER_WORD)
    // One secret, one fingerprint, wherever it recurs; the body is still JSON.
    const sentBody = request.requestBody as { messages: { content: string }[] }
    const [first, second] = sentBody.messages[0]!.content.match(new RegExp(FINGERPRINT, 'g'))!
    expect(first).toBe(second)
    expect(request.responseBodyText).toMatch(FINGERPRINT)
    expect(request.responseSse).toMatch(FINGERPRINT)
    expect(request.chunks.map((c) => c.data).join('')).toMatch(FINGERPRINT)

    const rows = (await app.app.dataSource.query(
      `SELECT count(*)::int AS n FROM requests r LEFT JOIN (SELECT request_id, unnest(data) AS data FROM stream_chunks) c ON c.request_id = r.id
       WHERE r.request_body LIKE $1 OR r.response_body LIKE $1 OR r.response_sse LIKE $1 OR c.data LIKE $1 OR r.request_body LIKE $2 OR c.data LIKE $2
         OR EXISTS (SELECT 1 FROM contents WHERE text LIKE $1 OR text LIKE $2)`,
      [`%${SECRET}%`, `%${ANSWER_WORD}%`],
    )) as { n: number }[]
    expect(rows[0]!.n).toBe(0)
  })
})

describe('redaction of secrets cut into pieces, and of the text around bodies', () => {
  it.each([
    ['each event in its own read', {}],
    ['events cut across reads of 7 bytes', { [MOCK_HEADERS.chunkBytes]: '7' }],
  ])('stores and publishes no piece of a secret streamed across two and three text deltas, %s', async (_, headers) => {
    const { bytes, received, upstreamRequestId } = await send({ headers: { [MOCK_HEADERS.scenario]: 'stream-text', ...headers }, body: { stream: true } })
    expect(bytes.equals(app.upstream.sentBody(received))).toBe(true)
    const { row, chunks } = await stored(upstreamRequestId)
    expect(row.status).toBe('COMPLETED')

    expectNoSecretPiece('the stored record', JSON.stringify(row))
    expectNoSecretPiece('the stored chunks', JSON.stringify(chunks))
    expectNoSecretPiece('the live events', JSON.stringify(await publishedAbout(row.id)))
    // The deltas still add up to the redacted text of the Message, so a replay of the chunks reads like the Message.
    const deltas = chunks.filter((c) => c.event === 'content_block_delta').map((c) => (JSON.parse(c.data) as { delta: { text: string } }).delta.text)
    const message = JSON.parse(row.response_body as string) as { content: { text: string }[] }
    expect(deltas.join('')).toBe(message.content[0]!.text)
    expect(message.content[0]!.text).toMatch(new RegExp(`^${FINGERPRINT.source} ! ${FINGERPRINT.source}, ${FINGERPRINT.source} sourire 😀\\.$`))
    expect(row.response_sse).toMatch(FINGERPRINT)
  })

  it('redacts the query string, every header value both ways and the error text of an HTTP error', async () => {
    const { response, upstreamRequestId } = await send({
      query: `?note=${SECRET}`,
      headers: { [MOCK_HEADERS.scenario]: 'rate-limited', 'x-note': `deploy ${SECRET}`, 'user-agent': `agent ${SECRET}`, [MOCK_HEADERS.responseHeaders]: JSON.stringify({ 'x-echo': SECRET }) },
      body: {},
    })
    expect(response.status).toBe(429)
    expect(response.headers.get('x-echo')).toBe(SECRET)
    const { row } = await stored(upstreamRequestId)
    expect(row).toMatchObject({ status: 'FAILED', query: expect.stringMatching(new RegExp(`^note=${FINGERPRINT.source}$`)), error: expect.stringMatching(FINGERPRINT) })
    expect((row.request_headers as Record<string, string>)['x-note']).toMatch(new RegExp(`^deploy ${FINGERPRINT.source}$`))
    expect((row.response_headers as Record<string, string>)['x-echo']).toMatch(FINGERPRINT)
    expectNoSecretPiece('the stored record', JSON.stringify(row))
    expectNoSecretPiece('the live events', JSON.stringify(await publishedAbout(row.id)))
  })

  it('redacts the error of a stream that ended with an SSE error event', async () => {
    const { upstreamRequestId } = await send({ headers: { [MOCK_HEADERS.scenario]: 'stream-error' }, body: { stream: true } })
    const { row, chunks } = await stored(upstreamRequestId)
    expect(row).toMatchObject({ status: 'FAILED', error: expect.stringMatching(FINGERPRINT) })
    // The stream stops inside the first delta: its text holds no whole secret, only the error does.
    expect(JSON.stringify(row)).not.toContain(STREAM_ERROR_WORD)
    expect(JSON.stringify(chunks)).not.toContain(STREAM_ERROR_WORD)
  })

  it('answers unchanged while a catastrophic pattern is configured, and stores the record redacted', async () => {
    const content = `${'a'.repeat(50_000)}b ${SECRET}`
    const { response, bytes, received, upstreamRequestId } = await send({ headers: { [MOCK_HEADERS.scenario]: 'text' }, body: { messages: [{ role: 'user', content }] } })
    expect(response.status).toBe(200)
    expect(bytes.equals(app.upstream.sentBody(received))).toBe(true)
    expect(received.body.toString()).toContain(content)
    const { row } = await stored(upstreamRequestId)
    expect(row.status).toBe('COMPLETED')
    expect(row.request_body).toMatch(FINGERPRINT)
    expectNoSecretPiece('the stored record', JSON.stringify(row))
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
