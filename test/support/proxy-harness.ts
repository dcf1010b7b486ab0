/**
 * What the proxy tests share: a proxy on a real port in front of an upstream, an observer that
 * records the lifecycle (and fails the test on an out-of-order call), a logger whose lines can be
 * inspected, and a raw HTTP client that keeps every read as it arrived.
 */
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import pino from 'pino'
import { createProxy, type Proxy, type ProxyOptions } from '../../server/proxy/forward'
import type { ExchangeOutcome, ExchangeResponse, ExchangeStart, ProxyFailure, ProxyObserver } from '../../server/proxy/proxy-observer'
import { Changes, type Truthy } from './wait'

/** One observed exchange, in the order the hooks were called. */
export interface ObservedExchange {
  start: ExchangeStart
  response: ExchangeResponse | null
  chunks: { chunk: Buffer; offsetMs: number }[]
  end: ExchangeOutcome | null
  /** Hook names in call order, e.g. ['onStart', 'onResponse', 'onChunk', 'onEnd']. */
  calls: string[]
}

/**
 * Records every hook call. The proxy swallows what observers throw, so calls the lifecycle does
 * not allow are collected in `violations` instead, and `ended()` fails once there is any.
 */
export class RecordingObserver implements ProxyObserver {
  readonly exchanges: ObservedExchange[] = []
  readonly violations: string[] = []
  readonly #byId = new Map<string, ObservedExchange>()
  readonly #changes = new Changes()

  onStart(start: ExchangeStart): void {
    if (this.#byId.has(start.id)) return this.#violated(`onStart twice for ${start.id}`)
    const exchange: ObservedExchange = { start, response: null, chunks: [], end: null, calls: ['onStart'] }
    this.#byId.set(start.id, exchange)
    this.exchanges.push(exchange)
    this.#changed()
  }

  onResponse(id: string, response: ExchangeResponse): void {
    const exchange = this.#open(id, 'onResponse')
    if (exchange === undefined) return
    if (exchange.response !== null) this.#violated(`onResponse twice for ${id}`)
    exchange.response = response
    this.#changed()
  }

  onChunk(id: string, chunk: Buffer, offsetMs: number): void {
    const exchange = this.#open(id, 'onChunk')
    if (exchange === undefined) return
    if (exchange.response === null) this.#violated(`onChunk before onResponse for ${id}`)
    exchange.chunks.push({ chunk, offsetMs })
    this.#changed()
  }

  onEnd(id: string, outcome: ExchangeOutcome): void {
    const exchange = this.#open(id, 'onEnd')
    if (exchange === undefined) return
    exchange.end = outcome
    this.#changed()
  }

  /** Resolves with the exchange once it has ended; `index` counts exchanges in start order. */
  ended(index = 0, timeoutMs = 5000): Promise<ObservedExchange & { end: ExchangeOutcome }> {
    return this.until(() => {
      const exchange = this.exchanges[index]
      return exchange?.end ? (exchange as ObservedExchange & { end: ExchangeOutcome }) : null
    }, `exchange #${index} to end`, timeoutMs)
  }

  /** Resolves with the first truthy value of `condition`, re-checked after every hook call; fails on a lifecycle violation. */
  until<T>(condition: () => T, what: string, timeoutMs = 5000): Promise<Truthy<T>> {
    return this.#changes.until(() => {
      if (this.violations.length > 0) throw new Error(`observer lifecycle violated: ${this.violations.join('; ')}`)
      return condition()
    }, what, timeoutMs)
  }

  #open(id: string, hook: string): ObservedExchange | undefined {
    const exchange = this.#byId.get(id)
    if (!exchange) return this.#violated(`${hook} before onStart for ${id}`)
    if (exchange.end !== null) this.#violated(`${hook} after onEnd for ${id}`)
    exchange.calls.push(hook)
    return exchange
  }

  #violated(what: string): undefined {
    this.violations.push(what)
    this.#changed()
    return undefined
  }

  #changed(): void {
    this.#changes.changed()
  }
}

/** The error of a failed outcome; throws for any other outcome. */
export function errorOf(outcome: ExchangeOutcome): ProxyFailure {
  if (outcome.kind !== 'failed') throw new Error(`expected a failed outcome, got ${outcome.kind}`)
  return outcome.error
}

export interface RunningProxy {
  /** e.g. `http://127.0.0.1:41234` */
  url: string
  proxy: Proxy
  server: Server
  close(): Promise<void>
}

/** A proxy on a plain node:http server on port 0, as the router would mount it. */
export async function startProxy(options: Partial<ProxyOptions> & { forwardUrl: string }): Promise<RunningProxy> {
  const proxy = createProxy({
    headerTimeoutMs: 5000,
    idleTimeoutMs: 5000,
    maxBodyBytes: 1024 * 1024,
    logger: pino({ level: 'silent' }),
    ...options,
  })
  const server = createServer((req, res) => proxy.handle(req, res))
  const url = await listen(server)
  return {
    url,
    proxy,
    server,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await proxy.close()
    },
  }
}

/** Listens on 127.0.0.1:0 and returns the base URL. */
export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
}

export interface RawResponse {
  status: number
  statusMessage: string
  headers: IncomingHttpHeaders
  /** Header names and values exactly as received. */
  rawHeaders: string[]
  /** Every body read in arrival order (no decompression). */
  reads: Buffer[]
  body: Buffer
}

export interface RawRequest {
  method?: string
  path: string
  /** Flat `[name, value, …]` list so repeated headers and exact spellings can be sent; `host` is added when missing. */
  headers?: string[]
  body?: string | Buffer
}

/** One request on a fresh connection; resolves when the response body has ended. */
export function rawRequest(baseUrl: string, init: RawRequest): Promise<RawResponse> {
  // With a raw header list node adds nothing itself, not even the host HTTP/1.1 requires.
  const headers = init.headers ?? []
  if (headerValues(headers, 'host').length === 0) headers.push('host', new URL(baseUrl).host)
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}${init.path}`, { method: init.method ?? 'POST', headers, agent: false }, (res) => {
      const reads: Buffer[] = []
      res.on('data', (read: Buffer) => reads.push(read))
      res.on('error', reject)
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          statusMessage: res.statusMessage ?? '',
          headers: res.headers,
          rawHeaders: res.rawHeaders,
          reads,
          body: Buffer.concat(reads),
        }),
      )
    })
    req.on('error', reject)
    req.end(init.body)
  })
}

/** Values of a header in a raw list, in order, matched case-insensitively. */
export function headerValues(rawHeaders: readonly string[], name: string): string[] {
  const values: string[] = []
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i].toLowerCase() === name) values.push(rawHeaders[i + 1])
  return values
}
