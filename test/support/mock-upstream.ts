/**
 * A fake Anthropic API on 127.0.0.1 that speaks the exact wire format (headers, JSON, SSE framing,
 * error envelopes), so the official SDK behaves against it as against the real API. It records
 * every request byte for byte and every byte it writes back, so tests can compare both ends.
 *
 * The scenario comes from the `x-mock-scenario` request header when present, otherwise from the
 * request: POST /v1/messages → `text` (`stream-text` when the body has `"stream": true`, `invalid-json-400`
 * when the body is not JSON), POST /v1/messages/count_tokens → `count-tokens`, GET /v1/models →
 * `models`, GET /v1/models/{id} → `model`, anything else → `not-found`. Message kinds (`text`,
 * `tool-use`, `thinking`, `citations`, `server-tool`) follow the body's stream flag; their `stream-*`
 * forms always stream. Other request headers tune one exchange: see MOCK_HEADERS. The `raw`
 * scenario answers whatever bytes its request body scripts (see RawScript), for hostile-upstream tests.
 */
import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import { gzipSync } from 'node:zlib'
import {
  DEFAULT_MODEL,
  INVALID_JSON_MESSAGE,
  MESSAGE_KINDS,
  MODELS,
  RATE_LIMIT_MESSAGE,
  countTokensJson,
  forcedToolFixture,
  errorJson,
  frameSse,
  messageFixture,
  modelsPageJson,
  streamErrorEvents,
  type MessageKind,
  type SseFixtureEvent,
} from './anthropic-fixtures'

/** Request headers that steer the mock; none of them is ever sent by a real client. */
export const MOCK_HEADERS = {
  /** Scenario name, see ScenarioName. */
  scenario: 'x-mock-scenario',
  /** Milliseconds between stream writes (overrides the option; slow-stream defaults to 50). */
  delayMs: 'x-mock-delay-ms',
  /** Number of text_delta events in a streamed text answer (overrides the option). */
  events: 'x-mock-events',
  /** Write the SSE bytes in pieces of this many bytes, ignoring event and UTF-8 boundaries. */
  chunkBytes: 'x-mock-chunk-bytes',
  /** JSON object of response headers to set (string) or remove (null), e.g. to omit a rate-limit header. */
  responseHeaders: 'x-mock-response-headers',
  /** Gate name: a stream stops after `x-mock-hold-after` writes until the test calls `openGate(name)`. */
  gate: 'x-mock-gate',
  /** Writes sent before the stream waits at its gate. @default 1 */
  holdAfter: 'x-mock-hold-after',
} as const

const OTHER_SCENARIOS = [
  'rate-limited',
  'overloaded',
  'stream-error',
  'slow-stream',
  'reset-before-headers',
  'reset-mid-stream',
  'hang',
  'gzip',
  'echo',
  'raw',
  'invalid-json-400',
  'count-tokens',
  'models',
  'model',
  'not-found',
] as const

export type ScenarioName = MessageKind | `stream-${MessageKind}` | (typeof OTHER_SCENARIOS)[number]

export const SCENARIOS: readonly ScenarioName[] = [
  ...MESSAGE_KINDS,
  ...MESSAGE_KINDS.map((kind): ScenarioName => `stream-${kind}`),
  ...OTHER_SCENARIOS,
]

/**
 * The request body of the `raw` scenario: the mock sends a 200 head with the standard headers
 * (`x-mock-response-headers` adds or removes some; no content-length unless one is set there),
 * writes each chunk as one write, then ends the response or, with `end: 'reset'`, destroys the
 * socket. Any other member (a marker, say) is ignored.
 */
export interface RawScript {
  /** The body, base64, one write per item. */
  chunks: string[]
  /** @default 'finish' */
  end?: 'finish' | 'reset'
}

export const ORGANIZATION_ID = '3f6b2c1e-7a3d-4e5f-9a1b-2c3d4e5f6a7b'

export interface MockUpstreamOptions {
  /** Size in bytes of the text in `text`/`stream-text` answers (ASCII filler). @default the short multilingual sample */
  textBytes?: number
  /** text_delta events a streamed text answer is split into; `x-mock-events` overrides. @default 4 */
  streamEvents?: number
  /** Pause between stream writes; `x-mock-delay-ms` overrides. @default 0 (slow-stream: 50) */
  streamDelayMs?: number
  /** Keep every exchange in `requests`; benchmarks turn it off so memory stays flat. @default true */
  record?: boolean
  /**
   * By tool name, the input of the call a /v1/messages answer makes when the request forces that
   * tool (`tool_choice: {type: "tool", name}`) and names no scenario. @default none: such requests get text
   */
  forcedToolInputs?: Record<string, unknown>
  /** When set, a request whose x-api-key is not one of these gets the API's 401 authentication_error. @default any key is accepted */
  validApiKeys?: readonly string[]
}

/** What the mock wrote back for one request: the bytes on the wire, before any client decoding. */
export interface SentResponse {
  /** null while (or when) no status line was sent: hang, reset-before-headers. */
  status: number | null
  /** The headers the mock set (lower-case names); Node adds date, connection and framing headers. */
  headers: Record<string, string>
  /** Each write in order: one SSE event per write unless `x-mock-chunk-bytes` splits them. */
  chunks: Buffer[]
  /** When each of `chunks` was written, in milliseconds since the request was received (the mock's own clock). */
  chunkOffsetsMs: number[]
  /** True once the response ended normally (not reset, not aborted). */
  finished: boolean
}

export interface ReceivedRequest {
  /** The `request-id` the mock answers with (`req_…`). */
  requestId: string
  scenario: ScenarioName
  method: string
  /** Path and query string as received, e.g. `/v1/messages?beta=true`. */
  url: string
  /** Header names and values exactly as received, in order (Node's rawHeaders). */
  rawHeaders: string[]
  headers: IncomingHttpHeaders
  /** The exact body bytes received. */
  body: Buffer
  response: SentResponse
  /** The client went away before the response finished. */
  aborted: boolean
}

export interface MockUpstream {
  /** Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  readonly url: string
  /** Every request in arrival order (recorded once its body has been read). */
  readonly requests: ReceivedRequest[]
  /** Request ids of the exchanges whose client went away before the response finished. */
  readonly aborted: string[]
  /** All bytes of a sent response body, concatenated. */
  sentBody(request: ReceivedRequest): Buffer
  /** Resolves once at least `count` requests have been recorded. @default timeoutMs 5000 */
  waitForRequests(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>
  /** Resolves once the given request (or any, when omitted) has been aborted by its client. */
  waitForAbort(requestId?: string, timeoutMs?: number): Promise<ReceivedRequest>
  /** Lets the streams held at gate `name` (see MOCK_HEADERS.gate) go on, and any that reach it later pass. */
  openGate(name: string): void
  close(): Promise<void>
}

export async function startMockUpstream(options: MockUpstreamOptions = {}): Promise<MockUpstream> {
  const mock = new MockUpstreamServer(options)
  await mock.listen()
  return mock
}

class MockUpstreamServer implements MockUpstream {
  readonly requests: ReceivedRequest[] = []
  readonly aborted: string[] = []
  #url = ''
  readonly #options: MockUpstreamOptions
  readonly #server: Server
  readonly #changes = new EventEmitter()
  readonly #startedAtS = Math.floor(Date.now() / 1000)
  readonly #gates = new Map<string, { opened: Promise<void>; open: () => void }>()

  constructor(options: MockUpstreamOptions) {
    this.#options = options
    this.#server = createServer((req, res) => this.#onRequest(req, res))
    this.#changes.setMaxListeners(0)
  }

  get url(): string {
    return this.#url
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen(0, '127.0.0.1', resolve)
    })
    this.#url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
  }

  sentBody(request: ReceivedRequest): Buffer {
    return Buffer.concat(request.response.chunks)
  }

  waitForRequests(count: number, timeoutMs = 5000): Promise<ReceivedRequest[]> {
    return this.#waitUntil(() => (this.requests.length >= count ? this.requests : undefined), timeoutMs, `${count} request(s)`)
  }

  waitForAbort(requestId?: string, timeoutMs = 5000): Promise<ReceivedRequest> {
    const find = () => this.requests.find((r) => r.aborted && (requestId === undefined || r.requestId === requestId))
    return this.#waitUntil(find, timeoutMs, `abort of ${requestId ?? 'any request'}`)
  }

  openGate(name: string): void {
    this.#gate(name).open()
  }

  #gate(name: string): { opened: Promise<void>; open: () => void } {
    let gate = this.#gates.get(name)
    if (!gate) {
      let open = () => {}
      const opened = new Promise<void>((resolve) => (open = resolve))
      this.#gates.set(name, (gate = { opened, open }))
    }
    return gate
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()))
    this.#server.closeAllConnections()
    await closed
  }

  #waitUntil<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const found = check()
    if (found !== undefined) return Promise.resolve(found)
    return new Promise((resolve, reject) => {
      const onChange = () => {
        const value = check()
        if (value === undefined) return
        clearTimeout(timer)
        this.#changes.off('change', onChange)
        resolve(value)
      }
      const timer = setTimeout(() => {
        this.#changes.off('change', onChange)
        reject(new Error(`mock upstream: no ${what} within ${timeoutMs} ms (saw ${this.requests.length} request(s))`))
      }, timeoutMs)
      this.#changes.on('change', onChange)
    })
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const parts: Buffer[] = []
    req.on('data', (part: Buffer) => parts.push(part))
    req.on('end', () => {
      const body = Buffer.concat(parts)
      const parsed = parseJsonObject(body)
      const scenario = chooseScenario(req, parsed)
      const received: ReceivedRequest = {
        requestId: `req_011C${randomId(20)}`,
        scenario: scenario ?? 'not-found',
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        rawHeaders: req.rawHeaders,
        headers: req.headers,
        body,
        response: { status: null, headers: {}, chunks: [], chunkOffsetsMs: [], finished: false },
        aborted: false,
      }
      const exchange = new Exchange(received, res, this.#options, this.#startedAtS, (name) => this.#gate(name).opened, () => {
        if (this.#options.record !== false) this.aborted.push(received.requestId)
        this.#changes.emit('change')
      })
      if (this.#options.record !== false) this.requests.push(received)
      this.#changes.emit('change')
      const apiKey = req.headers['x-api-key']
      const run =
        scenario === null
          ? exchange.sendJson(400, errorJson('invalid_request_error', `unknown ${MOCK_HEADERS.scenario}: ${String(req.headers[MOCK_HEADERS.scenario])}`, received.requestId))
          : this.#options.validApiKeys && !(typeof apiKey === 'string' && this.#options.validApiKeys.includes(apiKey))
            ? exchange.sendJson(401, errorJson('authentication_error', 'invalid x-api-key', received.requestId))
            : exchange.play(scenario, parsed)
      run.catch((error: unknown) => {
        if (res.headersSent) return res.destroy()
        res.writeHead(500, { 'content-type': 'application/json' }).end(errorJson('api_error', `mock upstream failed: ${String(error)}`, received.requestId))
      })
    })
  }
}

/** One request being answered: writes go through here so every byte sent is recorded. */
class Exchange {
  readonly #received: ReceivedRequest
  readonly #res: ServerResponse
  readonly #options: MockUpstreamOptions
  readonly #startedAtS: number
  readonly #receivedAt = performance.now()
  readonly #gateOpened: (name: string) => Promise<void>
  #closedByMock = false

  constructor(received: ReceivedRequest, res: ServerResponse, options: MockUpstreamOptions, startedAtS: number, gateOpened: (name: string) => Promise<void>, onAbort: () => void) {
    this.#received = received
    this.#res = res
    this.#options = options
    this.#startedAtS = startedAtS
    this.#gateOpened = gateOpened
    res.on('close', () => {
      if (res.writableFinished || this.#closedByMock) return
      received.aborted = true
      onAbort()
    })
  }

  async play(scenario: ScenarioName, body: Record<string, unknown> | null): Promise<void> {
    const model = typeof body?.model === 'string' ? body.model : DEFAULT_MODEL
    const wantsStream = body?.stream === true
    const id = this.#received.requestId
    const forcedInput = forcedToolInput(body, this.#options)
    if ((scenario === 'text' || scenario === 'stream-text') && forcedInput !== undefined) {
      const fixture = forcedToolFixture(forcedInput.name, forcedInput.input, { model })
      return wantsStream ? this.#stream(fixture.events) : this.sendJson(200, fixture.json)
    }
    if ((MESSAGE_KINDS as readonly string[]).includes(scenario)) {
      const kind = scenario as MessageKind
      return wantsStream ? this.#stream(this.#messageFixture(kind, model).events) : this.sendJson(200, this.#messageFixture(kind, model).json)
    }
    if (scenario.startsWith('stream-') && (MESSAGE_KINDS as readonly string[]).includes(scenario.slice('stream-'.length))) {
      return this.#stream(this.#messageFixture(scenario.slice('stream-'.length) as MessageKind, model).events)
    }
    switch (scenario) {
      case 'rate-limited':
        return this.sendJson(429, errorJson('rate_limit_error', RATE_LIMIT_MESSAGE, id), {
          'retry-after': '7',
          'x-should-retry': 'false',
          'anthropic-ratelimit-requests-remaining': '0',
        })
      case 'overloaded':
        return this.sendJson(529, errorJson('overloaded_error', 'Overloaded', id), { 'x-should-retry': 'false' })
      case 'stream-error':
        return this.#stream(streamErrorEvents({ id: messageId(), model }))
      case 'slow-stream':
        return this.#stream(this.#messageFixture('text', model, 5).events, 50)
      case 'reset-before-headers':
        this.#closedByMock = true
        this.#res.socket?.resetAndDestroy()
        return
      case 'reset-mid-stream': {
        const events = this.#messageFixture('text', model).events
        await this.#stream(events.slice(0, Math.ceil(events.length / 2)), 0, false)
        this.#closedByMock = true
        this.#res.socket?.destroy()
        return
      }
      case 'hang':
        return
      case 'gzip': {
        const json = Buffer.from(this.#messageFixture('text', model).json)
        const acceptsGzip = /\bgzip\b/.test(String(this.#received.headers['accept-encoding'] ?? ''))
        return acceptsGzip ? this.#send(200, 'application/json', gzipSync(json), { 'content-encoding': 'gzip', vary: 'Accept-Encoding' }) : this.#send(200, 'application/json', json)
      }
      case 'echo':
        return this.#send(200, this.#received.headers['content-type'] ?? 'application/octet-stream', this.#received.body)
      case 'raw':
        return this.#playRaw(body as Partial<RawScript> | null)
      case 'invalid-json-400':
        return this.sendJson(400, errorJson('invalid_request_error', INVALID_JSON_MESSAGE, id))
      case 'count-tokens':
        return this.sendJson(200, countTokensJson(this.#received.body.length))
      case 'models':
        return this.sendJson(200, modelsPageJson())
      case 'model': {
        const wanted = decodePathSegment(pathOf(this.#received.url).slice('/v1/models/'.length))
        const found = MODELS.find((m) => m.id === wanted)
        return found ? this.sendJson(200, JSON.stringify(found)) : this.sendJson(404, errorJson('not_found_error', `model: ${wanted}`, id))
      }
      default:
        return this.sendJson(404, errorJson('not_found_error', 'Not Found', id))
    }
  }

  sendJson(status: number, json: string, extraHeaders: Record<string, string> = {}): Promise<void> {
    return this.#send(status, 'application/json', Buffer.from(json), extraHeaders)
  }

  async #send(status: number, contentType: string, body: Buffer, extraHeaders: Record<string, string> = {}): Promise<void> {
    this.#writeHead(status, { 'content-type': contentType, 'content-length': String(body.length), ...extraHeaders })
    this.#recordWrite(body)
    await this.#end(body)
  }

  /** Writes events (one write each, or pieces of `x-mock-chunk-bytes`), pausing between writes; stops when the client leaves. */
  async #stream(events: SseFixtureEvent[], defaultDelayMs = 0, end = true): Promise<void> {
    this.#writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' })
    this.#res.flushHeaders()
    const delayMs = this.#numberHeader(MOCK_HEADERS.delayMs) ?? this.#options.streamDelayMs ?? defaultDelayMs
    const chunkBytes = this.#numberHeader(MOCK_HEADERS.chunkBytes)
    const pieces = chunkBytes ? splitBytes(Buffer.from(frameSse(events)), chunkBytes) : events.map((e) => Buffer.from(frameSse([e])))
    const gate = this.#received.headers[MOCK_HEADERS.gate]
    const holdAfter = this.#numberHeader(MOCK_HEADERS.holdAfter) ?? 1
    for (let i = 0; i < pieces.length; i++) {
      if (i > 0 && delayMs > 0) await delay(delayMs)
      if (typeof gate === 'string' && i === holdAfter) await this.#gateOpened(gate)
      if (!(await this.#write(pieces[i]))) return
    }
    if (end) await this.#end()
  }

  async #playRaw(script: Partial<RawScript> | null): Promise<void> {
    this.#writeHead(200, {})
    this.#res.flushHeaders()
    for (const chunk of script?.chunks ?? []) {
      if (!(await this.#write(Buffer.from(chunk, 'base64')))) return
    }
    if (script?.end !== 'reset') return this.#end()
    this.#closedByMock = true
    this.#res.socket?.destroy()
  }

  /** Ends the response; resolves on finish, or on close when the client left first. */
  async #end(body?: Buffer): Promise<void> {
    await new Promise<void>((resolve) => {
      const onFinish = () => {
        this.#res.off('close', resolve)
        resolve()
      }
      this.#res.once('close', resolve)
      if (body) this.#res.end(body, onFinish)
      else this.#res.end(onFinish)
    })
    this.#received.response.finished = this.#res.writableFinished
  }

  #recordWrite(piece: Buffer): void {
    this.#received.response.chunks.push(piece)
    this.#received.response.chunkOffsetsMs.push(performance.now() - this.#receivedAt)
  }

  /** Resolves true once the piece is handed to the socket; false when the client is gone. */
  #write(piece: Buffer): Promise<boolean> {
    if (this.#res.destroyed) return Promise.resolve(false)
    this.#recordWrite(piece)
    return new Promise((resolve) => {
      const onClose = () => resolve(false)
      this.#res.once('close', onClose)
      this.#res.write(piece, () => {
        this.#res.off('close', onClose)
        resolve(!this.#res.destroyed)
      })
    })
  }

  #writeHead(status: number, headers: Record<string, string>): void {
    const all = { ...this.#standardHeaders(), ...headers }
    const overrides = this.#received.headers[MOCK_HEADERS.responseHeaders]
    if (typeof overrides === 'string') {
      for (const [name, value] of Object.entries(JSON.parse(overrides) as Record<string, string | null>)) {
        if (value === null) delete all[name.toLowerCase()]
        else all[name.toLowerCase()] = value
      }
    }
    this.#received.response.status = status
    this.#received.response.headers = all
    this.#res.writeHead(status, all)
  }

  /** Headers every Anthropic answer carries; resets are computed from now like the real API's. */
  #standardHeaders(): Record<string, string> {
    const nowS = Math.floor(Date.now() / 1000)
    const rfc3339 = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z')
    return {
      'request-id': this.#received.requestId,
      'anthropic-organization-id': ORGANIZATION_ID,
      'anthropic-ratelimit-requests-limit': '4000',
      'anthropic-ratelimit-requests-remaining': '3999',
      'anthropic-ratelimit-requests-reset': rfc3339(nowS + 1),
      'anthropic-ratelimit-tokens-limit': '2400000',
      'anthropic-ratelimit-tokens-remaining': '2397000',
      'anthropic-ratelimit-tokens-reset': rfc3339(nowS + 1),
      'anthropic-ratelimit-input-tokens-limit': '2000000',
      'anthropic-ratelimit-input-tokens-remaining': '1998000',
      'anthropic-ratelimit-input-tokens-reset': rfc3339(nowS + 1),
      'anthropic-ratelimit-output-tokens-limit': '400000',
      'anthropic-ratelimit-output-tokens-remaining': '399000',
      'anthropic-ratelimit-output-tokens-reset': rfc3339(nowS + 1),
      'anthropic-ratelimit-unified-status': 'allowed',
      'anthropic-ratelimit-unified-reset': String(this.#startedAtS + 5 * 3600),
      'anthropic-ratelimit-unified-representative-claim': 'five_hour',
      'anthropic-ratelimit-unified-5h-status': 'allowed',
      'anthropic-ratelimit-unified-5h-reset': String(this.#startedAtS + 5 * 3600),
      'anthropic-ratelimit-unified-5h-utilization': '0.42',
      'anthropic-ratelimit-unified-7d-status': 'allowed',
      'anthropic-ratelimit-unified-7d-reset': String(this.#startedAtS + 7 * 24 * 3600),
      'anthropic-ratelimit-unified-7d-utilization': '0.13',
      'anthropic-ratelimit-unified-fallback-percentage': '0.5',
      'anthropic-ratelimit-unified-overage-status': 'rejected',
      'anthropic-ratelimit-unified-overage-disabled-reason': 'org_level_disabled',
      'strict-transport-security': 'max-age=31536000; includeSubDomains; preload',
      'x-robots-tag': 'none',
      server: 'cloudflare',
      'cf-ray': `${randomBytes(8).toString('hex')}-CDG`,
    }
  }

  #messageFixture(kind: MessageKind, model: string, defaultEvents?: number) {
    const textDeltas = this.#numberHeader(MOCK_HEADERS.events) ?? this.#options.streamEvents ?? defaultEvents
    const textBytes = this.#options.textBytes
    const text =
      textBytes !== undefined
        ? 'lorem ipsum dolor sit amet '.repeat(Math.ceil(textBytes / 27)).slice(0, textBytes)
        : textDeltas !== undefined
          ? Array.from({ length: textDeltas }, (_, i) => `word${i + 1} `).join('')
          : undefined
    return messageFixture(kind, { id: messageId(), model, text, textDeltas })
  }

  #numberHeader(name: string): number | undefined {
    const value = this.#received.headers[name]
    if (typeof value !== 'string') return undefined
    const n = Number(value)
    return Number.isFinite(n) && n >= 0 ? n : undefined
  }
}

function chooseScenario(req: IncomingMessage, body: Record<string, unknown> | null): ScenarioName | null {
  const named = req.headers[MOCK_HEADERS.scenario]
  if (typeof named === 'string') return (SCENARIOS as readonly string[]).includes(named) ? (named as ScenarioName) : null
  const path = pathOf(req.url ?? '/')
  if (req.method === 'GET' && path === '/v1/models') return 'models'
  if (req.method === 'GET' && path.startsWith('/v1/models/')) return 'model'
  if (req.method === 'POST' && path === '/v1/messages/count_tokens') return body ? 'count-tokens' : 'invalid-json-400'
  if (req.method === 'POST' && path === '/v1/messages') return body ? (body.stream === true ? 'stream-text' : 'text') : 'invalid-json-400'
  return 'not-found'
}

/** The tool the request forces, with the input the options give its call; undefined when none applies. */
function forcedToolInput(body: Record<string, unknown> | null, options: MockUpstreamOptions): { name: string; input: unknown } | undefined {
  const choice = body?.tool_choice as { type?: unknown; name?: unknown } | undefined
  if (choice?.type !== 'tool' || typeof choice.name !== 'string' || !options.forcedToolInputs || !Object.hasOwn(options.forcedToolInputs, choice.name)) return undefined
  return { name: choice.name, input: options.forcedToolInputs[choice.name] }
}

function parseJsonObject(body: Buffer): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'))
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null
  } catch {
    return null
  }
}

function pathOf(url: string): string {
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

/** The segment percent-decoded, or as it is when its encoding is broken (`%zz`), as the real API reads it: a name that matches nothing. */
function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

function splitBytes(bytes: Buffer, size: number): Buffer[] {
  const pieces: Buffer[] = []
  for (let i = 0; i < bytes.length; i += Math.max(1, size)) pieces.push(bytes.subarray(i, i + Math.max(1, size)))
  return pieces
}

function messageId(): string {
  return `msg_01${randomId(22)}`
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
function randomId(length: number): string {
  let out = ''
  for (const byte of randomBytes(length)) out += BASE62[byte % 62]
  return out
}
