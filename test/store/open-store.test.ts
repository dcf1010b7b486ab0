import net from 'node:net'
import { Writable } from 'node:stream'
import { Client } from 'pg'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { createLogger } from '../../server/logger'
import { RequestEntity } from '../../server/store/entities'
import { openStore } from '../../server/store/data-source'
import { StoreError } from '../../server/store/store-errors'
import { createTestDatabase, type TestDatabase } from '../support/test-database'

let database: TestDatabase
let store: DataSource
const logLines: Record<string, unknown>[] = []

beforeAll(async () => {
  database = await createTestDatabase()
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(JSON.parse(chunk.toString()) as Record<string, unknown>)
      done()
    },
  })
  store = await openStore(database.url, { logger: pino({ level: 'info' }, destination) })
})
afterAll(async () => {
  await store?.destroy()
  await database?.drop()
})

describe('openStore', () => {
  it('applies every migration to an empty database, logging each as JSON, and again is a no-op', async () => {
    expect(logLines).toContainEqual(expect.objectContaining({ component: 'store', msg: expect.stringContaining('CreateRequests1795588273908') }))
    const tables = await store.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`)
    expect(tables.map((t: { table_name: string }) => t.table_name)).toEqual(expect.arrayContaining(['requests', 'stream_chunks']))
    const again = await openStore(database.url)
    expect(await again.showMigrations()).toBe(false)
    await again.destroy()
  })

  // Only PostgreSQL has several instances: the embedded database belongs to the one process that
  // holds its DATA_DIR, and serves all its connections in one session, where locks cannot exclude.
  it.skipIf(process.env.TEST_DB !== 'postgres')('migrates an empty database once when several instances start on it at the same time', async () => {
    const fresh = await createTestDatabase()
    try {
      const opened = await Promise.allSettled([openStore(fresh.url), openStore(fresh.url), openStore(fresh.url)])
      expect(opened.map((result) => (result.status === 'rejected' ? String(result.reason) : 'opened'))).toEqual(['opened', 'opened', 'opened'])
      const [first] = opened as PromiseFulfilledResult<DataSource>[]
      const runs = (await first!.value.query(`SELECT name, count(*)::int AS times FROM migrations GROUP BY name HAVING count(*) > 1`)) as unknown[]
      expect(runs).toEqual([])
      await Promise.all(opened.map((result) => (result.status === 'fulfilled' ? result.value.destroy() : undefined)))
    } finally {
      await fresh.drop()
    }
  })

  it('leaves nothing for the entities to change once migrated (migrations and entities agree)', async () => {
    const pending = await store.driver.createSchemaBuilder().log()
    expect(pending.upQueries.map((q) => q.query)).toEqual([])
  })

  it('compresses bodies with lz4 where the server has it, and keeps pglz where it does not (PGlite)', async () => {
    const [{ available }] = (await store.query(`SELECT EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)) AS available`)) as [{ available: boolean }]
    const columns = (await store.query(
      `SELECT attrelid::regclass::text || '.' || attname AS name, attcompression AS method FROM pg_attribute
       WHERE attrelid IN ('requests'::regclass, 'stream_chunks'::regclass) AND attname IN ('request_body', 'response_body', 'response_sse', 'data') ORDER BY 1`,
    )) as { name: string; method: string }[]

    expect(columns).toEqual(['requests.request_body', 'requests.response_body', 'requests.response_sse', 'stream_chunks.data'].map((name) => ({ name, method: available ? 'l' : '' })))
    expect(available).toBe(process.env.TEST_DB === 'postgres')
  })

  it('round-trips a request row exactly: jsonb headers, a body with an integer above 2^53, int8 counts as numbers', async () => {
    const body = '{"input":{"account_id":12345678901234567890},"note":"café ☕"}'
    const row = store.getRepository(RequestEntity).create({
      id: '01937b6e-3f0a-7c41-9a3e-5b2c1d0e9f8a',
      status: 'COMPLETED',
      startedAt: new Date('2026-11-25T10:00:00.123Z'),
      completedAt: new Date('2026-11-25T10:00:01.456Z'),
      method: 'POST',
      path: '/v1/messages',
      query: 'beta=true',
      userAgent: 'claude-cli/2.1.3',
      model: 'claude-sonnet-4-5',
      routedModel: null,
      provider: 'anthropic',
      stream: true,
      httpStatus: 200,
      upstreamRequestId: 'req_01',
      stopReason: 'end_turn',
      error: null,
      errorCode: null,
      responseHeadersMs: 12.5,
      ttfbMs: 13.25,
      durationMs: 1333,
      requestHeaders: { 'x-api-key': 'key:3f9a1c2b', 'anthropic-beta': ['a', 'b'] },
      requestBody: body,
      requestBodyBytes: Buffer.byteLength(body),
      requestBodyIsJson: true,
      requestBodyContentIds: null,
      requestBodyContentListId: null,
      requestBodyContentListAt: null,
      requestBodyOwnIdsAt: null,
      responseHeaders: { 'request-id': 'req_01' },
      responseBody: '{}',
      responseSse: 'event: ping\ndata: {}\n\n',
      responseBodyBytes: 2,
      inputTokens: 3_000_000_000,
      outputTokens: 42,
      cacheCreationInputTokens: 0,
      cacheCreation5mInputTokens: 0,
      cacheCreation1hInputTokens: null,
      cacheReadInputTokens: 9_007_199_254_740,
      thinkingTokens: null,
      webSearchRequests: 1,
      webFetchRequests: null,
      serviceTier: 'standard',
      apiKeyFingerprint: 'key:3f9a1c2b',
      organizationId: 'org',
      runId: '6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f',
      inferenceGeo: 'us',
      costUsd: '0.000123456789012345678901',
      priceId: 'shipped:claude-sonnet-4-5:1970-01-01:0',
      costStatus: 'PRICED',
      translation: 'anthropic-to-chat-completions',
      headerRewrites: { fired: [{ id: 'rule-1', scope: 'REQUEST', header: 'x-team', action: 'SET' }], upstreamRequestHeaders: { 'x-team': 'a' }, clientResponseHeaders: null },
    })
    await store.getRepository(RequestEntity).insert(row)
    const read = await store.getRepository(RequestEntity).findOneByOrFail({ id: row.id })
    expect(read).toEqual(row)
    expect(typeof read.inputTokens).toBe('number')
  })
})

/** A server that answers every PostgreSQL startup with the ErrorResponse a failed login gets. */
async function startRefusingServer(): Promise<{ port: number; close(): Promise<void> }> {
  const field = (type: string, value: string) => Buffer.concat([Buffer.from(type), Buffer.from(`${value}\0`)])
  const fields = Buffer.concat([field('S', 'FATAL'), field('V', 'FATAL'), field('C', '28P01'), field('M', 'password authentication failed for user "postgres"'), Buffer.from([0])])
  const length = Buffer.alloc(4)
  length.writeInt32BE(fields.length + 4)
  const errorResponse = Buffer.concat([Buffer.from('E'), length, fields])
  const server = net.createServer((socket) => socket.once('data', () => socket.end(errorResponse)))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

describe('openStore failures', () => {
  it('fails with STORE_UNREACHABLE naming host and port when nothing listens there', async () => {
    const err = await openStore('postgres://postgres@127.0.0.1:1/nothing', { connectTimeoutMs: 2_000 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StoreError)
    expect((err as StoreError).code).toBe('STORE_UNREACHABLE')
    expect((err as StoreError).message).toContain('127.0.0.1:1')
  })

  it('fails with STORE_REJECTED carrying the server\'s reason when the server refuses the login', async () => {
    const server = await startRefusingServer()
    try {
      const err = await openStore(`postgres://postgres:wrong@127.0.0.1:${server.port}/postgres`).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(StoreError)
      expect((err as StoreError).code).toBe('STORE_REJECTED')
      expect((err as StoreError).message).toContain('password authentication failed')
      expect((err as StoreError).message).not.toContain('wrong')
    } finally {
      await server.close()
    }
  })

  it('fails with STORE_MIGRATION_FAILED and rolls the failed migration back when a table of another shape is in the way', async () => {
    const foreign = await createTestDatabase()
    try {
      const client = new Client({ connectionString: foreign.url })
      await client.connect()
      await client.query('CREATE TABLE requests (legacy text)')
      await client.end()
      const err = await openStore(foreign.url, { logger: createLogger('silent') }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(StoreError)
      expect((err as StoreError).code).toBe('STORE_MIGRATION_FAILED')
      expect((err as StoreError).message).toContain('"requests" already exists')
      const check = new Client({ connectionString: foreign.url })
      await check.connect()
      const { rows } = await check.query(`SELECT to_regclass('stream_chunks') AS chunks, (SELECT count(*)::int FROM migrations) AS applied`)
      await check.end()
      expect(rows).toEqual([{ chunks: null, applied: 0 }])
    } finally {
      await foreign.drop()
    }
  })
})
