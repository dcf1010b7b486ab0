import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import pino from 'pino'
import type { DataSource } from 'typeorm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCapture, type CaptureOptions } from '../../server/capture/capture'
import { createMemoryBus } from '../../server/live/memory-bus'
import { createCaptureStore } from '../../server/store/capture-store'
import { openStore } from '../../server/store/data-source'
import { frameSse, messageFixture } from '../support/anthropic-fixtures'
import { captureLogger } from '../support/capture-logger'
import { waitFor } from '../support/wait'
import { createTestDatabase } from '../support/test-database'
import { gatedCaptureStore, unreachableCaptureStore } from './capture-stores'
import { sameBody } from './records'

const logger = pino({ level: 'silent' })
const LIMITS: CaptureOptions['limits'] = { maxItems: 1000, maxBytes: 64 * 1024 * 1024, batchMaxItems: 50, spoolMaxBytes: 64 * 1024 * 1024, spillAfterMs: 500 }
const BODY = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 1024, stream: true, messages: [{ role: 'user', content: 'hi' }] })

let dataSource: DataSource
let dropDatabase: () => Promise<void>
let dataDir: string

beforeAll(async () => {
  const database = await createTestDatabase()
  dropDatabase = database.drop
  dataSource = await openStore(database.url)
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'claudescope-capture-'))
})

afterAll(async () => {
  await dataSource?.destroy()
  await dropDatabase?.()
  await rm(dataDir, { recursive: true, force: true })
})

/** Drives one streamed exchange through the observer as the proxy would. */
function proxyStream(observer: ReturnType<typeof createCapture>['observer'], apiKey: string) {
  const id = randomUUID()
  const fixture = messageFixture('text')
  const headers = { 'x-api-key': apiKey, 'user-agent': 'claude-cli/2.1.3 (external, cli)' }
  observer.onStart({ id, startedAt: Date.now(), method: 'POST', path: '/v1/messages', query: null, clientHeaders: headers, upstreamHeaders: headers, ...sameBody(Buffer.from(BODY)) })
  observer.onResponse(id, { status: 200, headers: { 'content-type': 'text/event-stream', 'request-id': 'req_011CCapture' }, offsetMs: 50 })
  return {
    id,
    fixture,
    streamAll() {
      for (const [index, event] of fixture.events.entries()) observer.onChunk(id, Buffer.from(frameSse([event])), 60 + index)
      observer.onEnd(id, { kind: 'completed', offsetMs: 100 })
    },
  }
}

describe('capture', () => {
  it('stores an exchange IN_FLIGHT as soon as it starts, then completed once with its chunks', async () => {
    const capture = createCapture({ store: createCaptureStore(dataSource), bus: createMemoryBus(), dataDir, logger, limits: LIMITS })
    const exchange = proxyStream(capture.observer, 'sk-ant-api03-capture')
    await capture.flush()
    const [started] = await dataSource.query('SELECT status, model, stream FROM requests WHERE id = $1', [exchange.id])
    expect(started).toEqual({ status: 'IN_FLIGHT', model: 'claude-sonnet-4-5', stream: true })

    exchange.streamAll()
    await capture.flush()
    const [completed] = await dataSource.query('SELECT status, response_body, upstream_request_id FROM requests WHERE id = $1', [exchange.id])
    expect(completed).toEqual({ status: 'COMPLETED', response_body: exchange.fixture.json, upstream_request_id: 'req_011CCapture' })
    const [{ count }] = await dataSource.query('SELECT cardinality(data) AS count FROM stream_chunks WHERE request_id = $1', [exchange.id])
    expect(count).toBe(exchange.fixture.events.length)
    expect(capture.stats()).toMatchObject({ written: 2, writtenChunks: exchange.fixture.events.length, inFlight: 0, queueDepth: 0, lost: 0 })
    await capture.close()
  })

  it('fingerprints a key the same way after a restart on the same data directory', async () => {
    const fingerprintOf = async () => {
      const capture = createCapture({ store: createCaptureStore(dataSource), bus: createMemoryBus(), dataDir, logger, limits: LIMITS })
      const { id } = proxyStream(capture.observer, 'sk-ant-api03-restart')
      await capture.close()
      const [row] = await dataSource.query('SELECT api_key_fingerprint FROM requests WHERE id = $1', [id])
      return row.api_key_fingerprint as string
    }
    const first = await fingerprintOf()
    expect(first).toMatch(/^key:[0-9a-f]{8}$/)
    expect(await fingerprintOf()).toBe(first)
  })

  it('spools what the full queue refuses, counted and logged once as such, and still stores every record', async () => {
    const { logger, lines } = captureLogger()
    const capture = createCapture({ store: createCaptureStore(dataSource), bus: createMemoryBus(), dataDir, logger, limits: { ...LIMITS, maxItems: 1 } })
    const exchanges = Array.from({ length: 5 }, () => proxyStream(capture.observer, 'sk-ant-api03-bounds'))
    for (const exchange of exchanges) exchange.streamAll()
    const ids = exchanges.map((exchange) => exchange.id)
    const { spilled, spilledBy } = capture.stats()
    expect(spilled).toBeGreaterThan(0)
    expect(spilledBy).toEqual({ queue_full: spilled, database_failing: 0, database_stalled: 0, shutdown: 0 })
    // One line for the run, naming the settings that bound the queue; not one per record.
    const spillLines = lines.filter((line) => String(line.msg).startsWith('capture records go to the disk spool'))
    expect(spillLines).toHaveLength(1)
    expect(spillLines[0]).toMatchObject({ level: 30, spilled: 1, queueItems: 1, queueMaxItems: 1, queueMaxBytes: LIMITS.maxBytes })
    expect(spillLines[0]!.msg).toContain('CAPTURE_QUEUE_MAX_ITEMS')
    await capture.flush()
    const [{ count }] = await dataSource.query('SELECT count(*)::int AS count FROM requests WHERE id = ANY($1)', [ids])
    expect(count).toBe(5)
    expect(capture.stats()).toMatchObject({ lost: 0, spoolBytes: 0 })
    await capture.close()
  })

  it('spools an exchange once, not twice, when the full queue refuses both its start and its completion', async () => {
    const ownDir = await mkdtemp(path.join(os.tmpdir(), 'claudescope-capture-once-'))
    const capture = createCapture({ store: createCaptureStore(dataSource), bus: createMemoryBus(), dataDir: ownDir, logger, limits: { ...LIMITS, maxItems: 1 } })
    // The first start fills the queue; the other four wait beside it while their exchanges are in flight.
    const exchanges = Array.from({ length: 5 }, () => proxyStream(capture.observer, 'sk-ant-api03-once'))
    expect(capture.stats().spilled).toBe(0)
    for (const exchange of exchanges) exchange.streamAll()
    // The first completion takes its start's place in the queue; the other four go to disk alone.
    expect(capture.stats()).toMatchObject({ spilled: 4, spilledBy: { queue_full: 4 } })
    await capture.flush()
    const rows = await dataSource.query(`SELECT count(*)::int AS count FROM requests WHERE id = ANY($1) AND status = 'COMPLETED'`, [exchanges.map((e) => e.id)])
    expect(rows).toEqual([{ count: 5 }])
    expect(capture.stats()).toMatchObject({ lost: 0, spoolRecords: 0, replayed: 4 })
    await capture.close()
    await rm(ownDir, { recursive: true, force: true })
  })

  it('spools a refused start whose exchange is still in flight once it has waited spillAfterMs, and every waiting start at close', async () => {
    const ownDir = await mkdtemp(path.join(os.tmpdir(), 'claudescope-capture-waiting-'))
    const database = gatedCaptureStore(createCaptureStore(dataSource))
    const capture = createCapture({ store: database.store, bus: createMemoryBus(), dataDir: ownDir, logger, limits: { ...LIMITS, maxItems: 1, spillAfterMs: 100 }, closeTimeoutMs: 300 })
    database.shut()
    const streams = Array.from({ length: 3 }, () => proxyStream(capture.observer, 'sk-ant-api03-waiting'))
    // One start is in the hung write or the queue; the others, refused, reach the disk though their streams never end.
    await waitFor(() => capture.stats().spoolRecords >= 2, 'the waiting starts to reach the spool')
    await capture.close()
    database.open()
    const next = createCapture({ store: createCaptureStore(dataSource), bus: createMemoryBus(), dataDir: ownDir, logger, limits: LIMITS })
    await next.flush()
    const rows = await dataSource.query('SELECT count(*)::int AS count FROM requests WHERE id = ANY($1)', [streams.map((e) => e.id)])
    expect(rows).toEqual([{ count: 3 }])
    await next.close()
    await rm(ownDir, { recursive: true, force: true })
  })

  it('loses and counts records only once the queue and the spool are both full', async () => {
    const ownDir = await mkdtemp(path.join(os.tmpdir(), 'claudescope-capture-full-'))
    const capture = createCapture({ store: createCaptureStore(dataSource), bus: createMemoryBus(), dataDir: ownDir, logger, limits: { ...LIMITS, maxItems: 1, spoolMaxBytes: 1 } })
    for (let i = 0; i < 5; i++) proxyStream(capture.observer, 'sk-ant-api03-full').streamAll()
    expect(capture.stats().lost).toBe(4)
    await capture.close()
    await rm(ownDir, { recursive: true, force: true })
  })
  it('spools at once while the database fails, stops within its timeout, and the next start on the data directory replays it', async () => {
    const ownDir = await mkdtemp(path.join(os.tmpdir(), 'claudescope-capture-down-'))
    const batches: number[] = []
    const first = createCapture({ store: unreachableCaptureStore(createCaptureStore(dataSource)), bus: createMemoryBus(), dataDir: ownDir, logger, limits: LIMITS, closeTimeoutMs: 300 })
    const early = proxyStream(first.observer, 'sk-ant-api03-down')
    await expect.poll(() => first.stats().failedBatches).toBeGreaterThan(0)
    await expect.poll(() => first.stats().queueDepth).toBe(0) // the failed batch went to disk
    early.streamAll()
    const late = proxyStream(first.observer, 'sk-ant-api03-down')
    late.streamAll()
    expect(first.stats().queueDepth).toBe(0) // a failing database means straight to disk
    await first.close()
    expect(first.stats()).toMatchObject({ lost: 0, queueDepth: 0, spoolRecords: 4, spilledBy: { database_failing: 4, queue_full: 0, database_stalled: 0, shutdown: 0 } })

    const second = createCapture({ store: createCaptureStore(dataSource), bus: createMemoryBus(), dataDir: ownDir, logger, limits: LIMITS, onBatch: (records) => batches.push(records) })
    expect(second.stats().spoolRecords).toBe(4)
    await second.flush()
    const rows = await dataSource.query('SELECT id, status FROM requests WHERE id = ANY($1) ORDER BY id', [[early.id, late.id]])
    expect(rows).toEqual([early.id, late.id].sort().map((id) => ({ id, status: 'COMPLETED' })))
    expect(second.stats()).toMatchObject({ spoolRecords: 0, spoolBytes: 0, replayed: 4, lost: 0 })
    expect(batches.reduce((a, b) => a + b, 0)).toBe(4) // every committed batch reported (for /metrics)
    await second.close()
    await rm(ownDir, { recursive: true, force: true })
  })

  it('keeps records in memory while a slow database keeps up, and spools the ones that waited once a write hangs, saying why', async () => {
    const ownDir = await mkdtemp(path.join(os.tmpdir(), 'claudescope-capture-slow-'))
    const database = gatedCaptureStore(createCaptureStore(dataSource))
    const { logger, lines } = captureLogger()
    const capture = createCapture({ store: database.store, bus: createMemoryBus(), dataDir: ownDir, logger, limits: { ...LIMITS, batchMaxItems: 2, spillAfterMs: 300 } })

    // Eight records two at a time, each write going through: the ones that wait for later batches stay in memory.
    const kept = Array.from({ length: 8 }, () => proxyStream(capture.observer, 'sk-ant-api03-slow'))
    for (const exchange of kept) exchange.streamAll()
    await capture.flush()
    expect(capture.stats()).toMatchObject({ spilled: 0, lost: 0 })

    // The gate holds the next write until the test has seen the records that waited behind it spooled.
    database.shut()
    const spooled = Array.from({ length: 8 }, () => proxyStream(capture.observer, 'sk-ant-api03-slow'))
    for (const exchange of spooled) exchange.streamAll()
    await waitFor(() => capture.stats().queueDepth === 0 && capture.stats().spilled > 0, 'the hung write to send what waited to the spool')
    const { spilled, spilledBy } = capture.stats()
    expect(spilledBy).toEqual({ database_stalled: spilled, queue_full: 0, database_failing: 0, shutdown: 0 })
    expect(lines.filter((line) => line.msg === 'capture records go to the disk spool: a database write is hanging')).toEqual([expect.objectContaining({ level: 40 })])
    database.open()
    await capture.flush()
    const ids = [...kept, ...spooled].map((exchange) => exchange.id)
    const [{ count }] = await dataSource.query(`SELECT count(*)::int AS count FROM requests WHERE id = ANY($1) AND status = 'COMPLETED'`, [ids])
    expect(count).toBe(16)
    expect(capture.stats()).toMatchObject({ lost: 0, spoolRecords: 0 })
    await capture.close()
    await rm(ownDir, { recursive: true, force: true })
  })
})
