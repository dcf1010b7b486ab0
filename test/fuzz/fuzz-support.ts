/**
 * What the fuzz files share: the seed, the process watch, the memory samples, raw-socket and
 * keep-alive clients, and the checks every answer must pass.
 *
 * Reproducing a failure: fast-check's report names the seed (and the path of the shrunk case);
 * run the file again with FUZZ_SEED=<seed> to replay the same inputs.
 */
import net from 'node:net'
import fc from 'fast-check'
import { afterAll, beforeAll, expect } from 'vitest'
import { Pool } from 'undici'
import { graphql, type ResultOf } from '../../client/src/graphql/graphql'
import { queryGraphQL } from '../support/graphql-client'
import { startApp, type TestApp } from '../support/start-app'
import { waitFor } from '../support/wait'

/** A fixed default so every run of the suite sends the same inputs; FUZZ_SEED overrides it. */
export const FUZZ_SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 0x5eed_c1a0

/** Longest a property may run, shrinking included; a test around one needs more (FUZZ_TEST_TIMEOUT_MS). */
export const FUZZ_TIME_LIMIT_MS = 60_000
export const FUZZ_TEST_TIMEOUT_MS = 120_000

/** fast-check parameters for one property: the suite's seed, `numRuns` runs, shrinking on. */
export function fuzzParameters(numRuns: number): fc.Parameters<unknown> {
  return { seed: FUZZ_SEED, numRuns, interruptAfterTimeLimit: FUZZ_TIME_LIMIT_MS, markInterruptAsFailure: true }
}

/**
 * Fails the test when the process reports an uncaught exception or an unhandled rejection while
 * the fuzz file runs: the server lives in this process, so this is where a crash would show.
 */
function watchProcess(): { failures: unknown[]; stop(): void } {
  const failures: unknown[] = []
  const record = (error: unknown) => failures.push(error)
  process.on('uncaughtException', record)
  process.on('unhandledRejection', record)
  return {
    failures,
    stop() {
      process.off('uncaughtException', record)
      process.off('unhandledRejection', record)
    },
  }
}

/** heapUsed after each property run, to tell growth without bound from noise. */
export class MemorySamples {
  readonly #heapUsed: number[] = []

  sample(): void {
    this.#heapUsed.push(process.memoryUsage().heapUsed)
  }

  /**
   * RSS stays below 1.5 GB and the mean heap of the last third of the runs is not more than twice
   * that of the first third plus 128 MiB: generous, since the garbage collector runs when it likes.
   */
  expectBounded(): void {
    expect(process.memoryUsage().rss).toBeLessThan(1.5 * 1024 ** 3)
    const third = Math.floor(this.#heapUsed.length / 3)
    if (third === 0) return
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length
    const first = mean(this.#heapUsed.slice(0, third))
    const last = mean(this.#heapUsed.slice(-third))
    expect(last).toBeLessThan(first * 2 + 128 * 1024 ** 2)
  }
}

/** What a fuzz file runs against: one app, a keep-alive pool to it, and what escaped the test process. */
export interface FuzzedApp {
  readonly url: string
  /** TCP port of the app, for raw sockets. */
  readonly port: number
  readonly pool: Pool
  /** Uncaught exceptions and unhandled rejections seen while the file ran. */
  readonly failures: readonly unknown[]
}

/** Starts an app (and a pool to it) before the file's tests, watches the process, and stops both after. */
export function useFuzzedApp(): FuzzedApp {
  let running: TestApp | undefined
  let pool: Pool | undefined
  const processWatch = watchProcess()
  beforeAll(async () => {
    running = await startApp()
    pool = keepAlivePool(running.url)
  })
  afterAll(async () => {
    processWatch.stop()
    await pool?.destroy()
    await running?.close()
  })
  return {
    get url() {
      return running!.url
    },
    get port() {
      return Number(new URL(running!.url).port)
    },
    get pool() {
      return pool!
    },
    get failures() {
      return processWatch.failures
    },
  }
}

/** A keep-alive connection pool to the app, the same for every run of a property. */
function keepAlivePool(baseUrl: string): Pool {
  return new Pool(baseUrl, { connections: 8, pipelining: 1, keepAliveTimeout: 30_000 })
}

export interface AnsweredResponse {
  status: number
  contentType: string
  body: string
  /** The answer came from upstream (it carries upstream's request-id) and was relayed untouched. */
  isRelayed: boolean
  /** An answer to HEAD has no body to check. */
  isHead: boolean
}

/**
 * A 5xx is allowed only with a message a person can act on. From the proxy (`isProxy`): 502, 503
 * or 504 in Anthropic's error envelope, unless upstream itself answered so and it was relayed.
 * Elsewhere: that envelope, a GraphQL error with a message, or a non-empty plain-text message.
 */
export function expectNoBare5xx(response: AnsweredResponse, isProxy: boolean, where: string): void {
  if (response.status < 500 || response.isRelayed) return
  const context = `${where} answered ${response.status} (${response.contentType}): ${JSON.stringify(response.body.slice(0, 300))}`
  if (response.isHead) {
    if (isProxy) expect([502, 503, 504], context).toContain(response.status)
    return
  }
  type ErrorBody = { type?: unknown; error?: { message?: unknown }; errors?: { message?: unknown }[] }
  let json: ErrorBody | null
  try {
    json = JSON.parse(response.body) as ErrorBody | null
  } catch {
    json = null
  }
  const hasEnvelope = json?.type === 'error' && typeof json.error?.message === 'string' && json.error.message !== ''
  if (isProxy) {
    expect([502, 503, 504], context).toContain(response.status)
    expect(hasEnvelope, context).toBe(true)
    return
  }
  const hasGraphQLError = Array.isArray(json?.errors) && json.errors.some((e) => typeof e.message === 'string' && e.message !== '')
  const hasTextMessage = response.contentType.startsWith('text/plain') && response.body.trim() !== ''
  expect(hasEnvelope || hasGraphQLError || hasTextMessage, context).toBe(true)
}

/** One response read off a raw socket: status, content type, body (as sent, framing included). */
export interface RawResponse {
  status: number
  contentType: string
  body: string
  hasRequestId: boolean
}

/**
 * Writes `bytes` on a fresh connection, half-closes it and collects everything the server sends
 * until it closes, split into responses (enough for checks: chunked bodies keep their framing).
 */
export function rawExchange(port: number, bytes: Buffer, timeoutMs = 5_000): Promise<RawResponse[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    const parts: Buffer[] = []
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no close within ${timeoutMs} ms after sending ${JSON.stringify(bytes.toString('latin1').slice(0, 200))}`))
    }, timeoutMs)
    socket.on('connect', () => socket.end(bytes))
    socket.on('data', (part: Buffer) => parts.push(part))
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(splitResponses(Buffer.concat(parts).toString('latin1')))
    })
  })
}

function splitResponses(text: string): RawResponse[] {
  const starts = [...text.matchAll(/(?<=^|\n)HTTP\/1\.[01] (\d{3})/g)]
  return starts.map((match, i) => {
    const end = i + 1 < starts.length ? starts[i + 1].index : text.length
    const response = text.slice(match.index, end)
    const headEnd = response.indexOf('\r\n\r\n')
    const head = headEnd === -1 ? response : response.slice(0, headEnd)
    return {
      status: Number(match[1]),
      contentType: /\r\ncontent-type: *([^\r\n]*)/i.exec(head)?.[1] ?? '',
      body: headEnd === -1 ? '' : response.slice(headEnd + 4),
      hasRequestId: /\r\nrequest-id:/i.test(head),
    }
  })
}

/** The app still answers /health with 200 on a fresh connection. */
export async function expectHealthy(baseUrl: string): Promise<void> {
  const response = await fetch(`${baseUrl}/health`)
  expect(response.status).toBe(200)
}

/** A well-formed Messages request carrying `marker`, as the SDK would send it. */
export function wellFormedMessagesBody(marker: string, stream: boolean): string {
  return JSON.stringify({
    model: 'claude-sonnet-4-5-20250929',
    max_tokens: 64,
    stream,
    messages: [{ role: 'user', content: `Say hello (${marker})` }],
  })
}

const RECORDED_PAGE = graphql(`query RecordedPage($after: String) {
  requests(first: 50, after: $after) { nodes { requestBodyText status } pageInfo { hasNextPage endCursor } }
}`)

/**
 * Waits until capture has written every exchange whose body carries `markerPrefix`, then checks
 * each marker in `sent` (marker → body that carried it) was recorded exactly once with its body
 * bytes unchanged. Reads every record of the app a page at a time and keeps those carrying the
 * prefix: a body search for it would match them all and read every body again for each page
 * (14 s for the thousand records of a run, on PGlite). Pages of 50 keep the query within the
 * cost limit, which counts each body read per item of the page.
 */
export async function expectRecordedExactlyOnce(baseUrl: string, markerPrefix: string, sent: ReadonlyMap<string, string>): Promise<void> {
  const readAll = async () => {
    const bodies: string[] = []
    let after: string | null = null
    for (;;) {
      const page: ResultOf<typeof RECORDED_PAGE> = await queryGraphQL(baseUrl, RECORDED_PAGE, { after })
      if (page.requests.nodes.some((n) => n.status === 'IN_FLIGHT')) return null
      bodies.push(...page.requests.nodes.map((n) => n.requestBodyText ?? '').filter((body) => body.includes(markerPrefix)))
      if (!page.requests.pageInfo.hasNextPage) return bodies
      after = page.requests.pageInfo.endCursor
    }
  }
  const bodies = await waitFor(async () => {
    const all = await readAll()
    return all !== null && all.length >= sent.size ? all : null
  }, `${sent.size} records carrying ${markerPrefix}`, 30_000)
  const byMarker = new Map<string, string[]>()
  for (const body of bodies) {
    const marker = new RegExp(`${markerPrefix}\\d+`).exec(body)?.[0] ?? body
    byMarker.set(marker, [...(byMarker.get(marker) ?? []), body])
  }
  for (const [marker, body] of sent) expect(byMarker.get(marker), marker).toEqual([body])
  expect(bodies.length).toBe(sent.size)
}
