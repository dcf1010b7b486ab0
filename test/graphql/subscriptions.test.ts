import { createClient } from 'graphql-ws'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import WebSocket from 'ws'
import { graphql } from '../../client/src/graphql/graphql'
import type { RequestRecord } from '../../server/records/request-record'
import { GRAPHQL_LIMITS } from '../../server/graphql/graphql-limits'
import { subscribeGraphQL, type Operation, type Subscription } from '../support/graphql-client'
import { chunkEvent, inFlight, makeChunk, makeRecord, requestEvent } from '../support/record-fixtures'
import { startGraphQLHarness, type GraphQLHarness } from '../support/graphql-harness'
import { storeRecords } from '../support/stored-records'

const STREAM_CHUNKS = graphql(`subscription StreamChunks($id: ID!) { streamChunks(requestId: $id) { requestId seq data } }`)
const LIVE_CHUNKS = graphql(`subscription LiveChunks($f: RequestFilter) { liveChunks(filter: $f) { requestId seq } }`)
const LIVE_STATUS = graphql(`subscription LiveStatus { liveStatus { transport connected interruptions unsharedEvents } }`)
const REQUEST_EVENTS = graphql(`subscription RequestEvents($f: RequestFilter) { requestEvents(filter: $f) { kind request { id status model usage { inputTokens } } } }`)

const wsUrl = (baseUrl: string) => baseUrl.replace(/^http/, 'ws') + '/graphql'

let harness: GraphQLHarness
beforeAll(async () => {
  harness = await startGraphQLHarness()
})
afterAll(() => harness.close())

describe('subscriptions over graphql-ws', () => {
  const opened: Subscription<unknown>[] = []
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((subscription) => subscription.close()))
    await vi.waitFor(() => expect(harness.bus.subscriberCount).toBe(0), { timeout: 5000, interval: 10 })
  })

  /** Subscribes and waits until the subscription is registered on the bus. */
  async function subscribe<Result, Variables>(operation: Operation<Result, Variables>, variables: Variables) {
    const expected = harness.bus.subscriberCount + 1
    const subscription = open(operation, variables)
    await vi.waitFor(() => expect(harness.bus.subscriberCount).toBe(expected), { timeout: 5000, interval: 10 })
    return subscription
  }

  /** Subscribes without waiting; closed after the test either way. */
  function open<Result, Variables>(operation: Operation<Result, Variables>, variables?: Variables) {
    const subscription = subscribeGraphQL(harness.url, operation, variables)
    opened.push(subscription)
    return subscription
  }

  const publishStart = (record: RequestRecord) => harness.bus.publish(requestEvent(inFlight(record)))
  const publishChunks = (record: RequestRecord, seqs: number[]) => seqs.forEach((seq) => harness.bus.publish(chunkEvent(record, seq)))

  it("tells a liveStatus subscriber this instance's link at once, and frees its bus slot when it leaves", async () => {
    const status = await subscribe(LIVE_STATUS, {})
    const [first] = await status.waitFor(1)
    expect(first!.liveStatus).toEqual({ transport: 'memory', connected: true, interruptions: 0, unsharedEvents: 0 })
  })

  it('announces starts and ends of the requests that match the filter only', async () => {
    const haiku = makeRecord({ model: 'claude-haiku-4-5', usage: { ...makeRecord().usage!, inputTokens: 2 ** 35 } })
    const sonnet = makeRecord()
    const events = await subscribe(REQUEST_EVENTS, { f: { models: ['claude-haiku-4-5'] } })
    publishStart(sonnet)
    publishStart(haiku)
    harness.bus.publish(requestEvent(sonnet))
    harness.bus.publish(requestEvent(haiku))
    const results = await events.waitFor(2)
    expect(results.map((r) => r.requestEvents)).toEqual([
      { kind: 'IN_FLIGHT', request: { id: haiku.id, status: 'IN_FLIGHT', model: 'claude-haiku-4-5', usage: null } },
      { kind: 'COMPLETED', request: { id: haiku.id, status: 'COMPLETED', model: 'claude-haiku-4-5', usage: { inputTokens: 2 ** 35 } } },
    ])
  })

  it('matches each request event as the request is known at that moment', async () => {
    const failing = makeRecord({ status: 'FAILED', httpStatus: 529 })
    const events = await subscribe(REQUEST_EVENTS, { f: { statuses: ['FAILED'] } })
    publishStart(failing)
    harness.bus.publish(requestEvent(makeRecord()))
    harness.bus.publish(requestEvent(failing))
    const results = await events.waitFor(1)
    expect(results.map((r) => [r.requestEvents.kind, r.requestEvents.request.id])).toEqual([['FAILED', failing.id]])
  })

  it('gives a late subscriber the chunks so far, then live ones, then completes when the request ends', async () => {
    const record = makeRecord()
    publishStart(record)
    publishChunks(record, [0, 1, 2])
    const chunks = await subscribe(STREAM_CHUNKS, { id: record.id })
    await chunks.waitFor(3)
    publishChunks(record, [3, 4])
    harness.bus.publish(requestEvent(record))
    await chunks.completed
    expect(chunks.results.map((r) => r.streamChunks.seq)).toEqual([0, 1, 2, 3, 4])
    expect(chunks.results[0]!.streamChunks).toEqual({ requestId: record.id, seq: 0, data: makeChunk(record.id, 0).data })
  })

  it('replays a request that ended moments ago from the bus and completes', async () => {
    const record = makeRecord()
    publishStart(record)
    publishChunks(record, [0, 1])
    harness.bus.publish(requestEvent(record))
    const chunks = open(STREAM_CHUNKS, { id: record.id })
    await chunks.completed
    expect(chunks.results.map((r) => r.streamChunks.seq)).toEqual([0, 1])
  })

  it('replays a stored request from the database and completes', async () => {
    const record = makeRecord()
    await storeRecords(harness.dataSource, [record], [0, 1, 2].map((seq) => makeChunk(record.id, seq)))
    const chunks = open(STREAM_CHUNKS, { id: record.id })
    await chunks.completed
    expect(chunks.results.map((r) => r.streamChunks.seq)).toEqual([0, 1, 2])
  })

  it('reports an unknown request id as an error', async () => {
    const chunks = open(STREAM_CHUNKS, { id: makeRecord().id })
    await expect(chunks.waitFor(1)).rejects.toThrow(/No request with id/)
  })

  it('streams every chunk of the matching requests only', async () => {
    const haiku = makeRecord({ model: 'claude-haiku-4-5' })
    const sonnet = makeRecord()
    const live = await subscribe(LIVE_CHUNKS, { f: { models: ['claude-haiku-4-5'] } })
    publishStart(haiku)
    publishStart(sonnet)
    publishChunks(sonnet, [0])
    publishChunks(haiku, [0])
    publishChunks(sonnet, [1])
    publishChunks(haiku, [1])
    const results = await live.waitFor(2)
    expect(results.map((r) => [r.liveChunks.requestId, r.liveChunks.seq])).toEqual([
      [haiku.id, 0],
      [haiku.id, 1],
    ])
  })

  it('matches live chunks on the request body seen when the request started', async () => {
    const wanted = makeRecord({ requestBody: '{"messages":[{"role":"user","content":"Refactor the parser"}]}' })
    const other = makeRecord()
    const live = await subscribe(LIVE_CHUNKS, { f: { search: 'refactor' } })
    publishStart(other)
    publishStart(wanted)
    publishChunks(other, [0])
    publishChunks(wanted, [0])
    const results = await live.waitFor(1)
    expect(results.map((r) => r.liveChunks.requestId)).toEqual([wanted.id])
  })

  it('frees its bus subscription as soon as the client unsubscribes', async () => {
    const live = await subscribe(LIVE_CHUNKS, { f: { models: ['never-used'] } })
    await live.close()
    await vi.waitFor(() => expect(harness.bus.subscriberCount).toBe(0), { timeout: 5000, interval: 10 })
  })

  it('applies the same limits as HTTP to subscriptions', async () => {
    const aliases = Array.from({ length: GRAPHQL_LIMITS.maxAliases + 1 }, (_, i) => `a${i}: liveChunks { seq }`).join(' ')
    const live = open(`subscription { ${aliases} }`)
    await expect(live.waitFor(1)).rejects.toThrow(/Aliases limit/)
  })

  it('closes a socket with 1009 when a frame exceeds 1 MiB before authentication, keeps serving, and writes nothing to console.error (a client cannot flood the log)', async () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    try {
      const socket = new WebSocket(wsUrl(harness.url), 'graphql-transport-ws')
      await new Promise<void>((resolve, reject) => socket.on('open', resolve).on('error', reject))
      const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)))
      socket.on('error', () => undefined)
      socket.send(Buffer.alloc(2 * 1024 * 1024, 'x'))
      expect(await closed).toBe(1009)
      // The server's side of the socket has closed too once a new subscription is served after it.
      const after = open(REQUEST_EVENTS)
      await vi.waitFor(() => expect(harness.bus.subscriberCount).toBe(1), { timeout: 5000, interval: 10 })
      await after.close()
      expect(consoleError).not.toHaveBeenCalled()
    } finally {
      consoleError.mockRestore()
    }
  })

  it('refuses a WebSocket opened from another origin', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const socket = new WebSocket(wsUrl(harness.url), 'graphql-transport-ws', { origin: 'https://evil.example' })
      socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
      socket.on('open', () => reject(new Error('cross-origin socket was accepted')))
      socket.on('error', () => undefined)
    })
    expect(status).toBe(403)
  })

  it('accepts a WebSocket from a page served by the same host', async () => {
    const host = new URL(harness.url).host
    const opened = await new Promise<boolean>((resolve) => {
      const socket = new WebSocket(wsUrl(harness.url), 'graphql-transport-ws', { origin: `http://${host}` })
      socket.on('open', () => {
        socket.close()
        resolve(true)
      })
      socket.on('unexpected-response', () => resolve(false))
    })
    expect(opened).toBe(true)
  })
})

describe('subscriptions with a dashboard token', () => {
  let url: string
  beforeAll(async () => {
    url = await harness.serve({ dashboardToken: 's3cret-token' })
  })

  const closeCodeFor = (connectionParams?: Record<string, unknown>) =>
    new Promise<number>((resolve) => {
      const client = createClient({
        url: wsUrl(url),
        webSocketImpl: WebSocket,
        connectionParams,
        retryAttempts: 0,
        lazy: false,
        on: { closed: (event) => resolve((event as { code: number }).code) },
        onNonLazyError: () => undefined,
      })
      void client
    })

  it('closes with 4403 when connectionParams carry no token', async () => {
    expect(await closeCodeFor()).toBe(4403)
  })

  it('closes with 4403 when the token is wrong', async () => {
    expect(await closeCodeFor({ authorization: 'Bearer nope' })).toBe(4403)
  })

  it('serves a subscription when connectionParams carry the token', async () => {
    const record = makeRecord()
    const events = subscribeGraphQL(url, REQUEST_EVENTS, {}, 's3cret-token')
    await vi.waitFor(() => expect(harness.bus.subscriberCount).toBe(1), { timeout: 5000, interval: 10 })
    harness.bus.publish(requestEvent(record))
    expect((await events.waitFor(1))[0]!.requestEvents.request.id).toBe(record.id)
    await events.close()
  })
})
