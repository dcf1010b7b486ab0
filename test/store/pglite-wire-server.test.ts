/** The embedded database's wire server, in this process: large messages, and a client that sends faster than PGlite runs. */
import { PGlite } from '@electric-sql/pglite'
import { createHash, randomBytes } from 'node:crypto'
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { Client } from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { embeddedDatabaseUrl, embeddedSocketPath } from '../../server/store/embedded/embedded-socket'
import { EMBEDDED_EXTENSIONS, EMBEDDED_SETTINGS, embeddedStartParams } from '../../server/store/embedded/pglite-settings'
import { PgliteWireServer, typedMessage } from '../../server/store/embedded/pglite-wire-server'
import { WireMessageReader } from '../../server/store/embedded/wire-message-reader'
import { once, waitFor } from '../support/wait'

/** Small, so that a few queries fill it. */
const MAX_QUEUED_BYTES = 64 * 1024
/** The most one socket read delivers (libuv's read buffer). */
const ONE_READ_BYTES = 64 * 1024

let root: string
let db: PGlite
let server: PgliteWireServer
let url: string

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'claudescope-wire-'))
  const dataDir = path.join(root, 'pglite')
  cpSync(inject('pgliteTemplateDir'), dataDir, { recursive: true })
  db = await PGlite.create({ dataDir, startParams: embeddedStartParams(), extensions: EMBEDDED_EXTENSIONS })
  server = new PgliteWireServer({ db, path: embeddedSocketPath(root), maxConnections: 4, maxQueuedBytes: MAX_QUEUED_BYTES })
  await server.start()
  url = embeddedDatabaseUrl(root)
})

afterAll(async () => {
  await server?.stop()
  await db?.close()
  rmSync(root, { recursive: true, force: true })
})

async function connectedClient(): Promise<Client> {
  const client = new Client({ connectionString: url })
  await client.connect()
  return client
}

/** A StartupMessage (protocol 3.0) for user and database postgres. */
function startupMessage(): Buffer {
  const body = Buffer.from('user\0postgres\0database\0postgres\0\0')
  const header = Buffer.alloc(8)
  header.writeInt32BE(8 + body.length, 0)
  header.writeInt32BE(196608, 4)
  return Buffer.concat([header, body])
}

describe('the embedded wire server', () => {
  it('takes a 16 MiB parameter, far past the queue bound, in one message mid-sequence and stores it unchanged', async () => {
    const client = await connectedClient()
    try {
      const value = randomBytes(12 * 1024 * 1024).toString('base64')
      await client.query('CREATE TABLE large_values (v text)')
      await client.query('INSERT INTO large_values VALUES ($1)', [value])
      const { rows } = await client.query<{ bytes: number; md5: string }>('SELECT length(v) AS bytes, md5(v) FROM large_values')
      expect(rows).toEqual([{ bytes: value.length, md5: createHash('md5').update(value).digest('hex') }])
    } finally {
      await client.end()
    }
  }, 60_000)

  it('stops reading from a client that pipelines while its queries wait, and answers every query once they can run', async () => {
    // A transaction left open on one connection keeps the others' messages waiting in the queue.
    const holder = await connectedClient()
    const pipelining = net.connect(embeddedSocketPath(root))
    const connected = once(pipelining, 'connect')
    try {
      await holder.query('BEGIN')
      const queries = 256
      const query = typedMessage('Q', Buffer.from(`SELECT length('${'x'.repeat(16 * 1024)}')\0`))
      await connected
      const answers = new WireMessageReader()
      let readyForQuery = 0
      pipelining.on('data', (chunk: Buffer) => {
        answers.push(chunk)
        for (let message = answers.next(true); message; message = answers.next(true)) if (message[0] === 'Z'.charCodeAt(0)) readyForQuery++
      })
      pipelining.write(Buffer.concat([startupMessage(), ...Array.from({ length: queries }, () => query)]))

      // Without backpressure the server would read all 4 MiB and the client's buffer would empty.
      await waitFor(() => server.pausedConnections === 1 || pipelining.writableLength === 0, 'the server to pause the client or read everything')
      expect(server.pausedConnections).toBe(1)
      // The messages of the read that crossed the bound are queued too.
      expect(server.queuedBytes).toBeLessThanOrEqual(MAX_QUEUED_BYTES + ONE_READ_BYTES)
      expect(pipelining.writableLength).toBeGreaterThan(0)

      await holder.query('COMMIT')
      await waitFor(() => readyForQuery === queries + 1, 'an answer to the startup and to every query')
      expect(server.pausedConnections).toBe(0)
      expect(server.queuedBytes).toBe(0)
    } finally {
      pipelining.destroy()
      await holder.end()
    }
  }, 60_000)
})

describe("the embedded wire server's checkpoints", () => {
  it('runs CHECKPOINT by itself, so the write-ahead log shrinks back to max_wal_size after more than that was written', async () => {
    const own = mkdtempSync(path.join(os.tmpdir(), 'claudescope-wal-'))
    const dataDir = path.join(own, 'pglite')
    cpSync(inject('pgliteTemplateDir'), dataDir, { recursive: true })
    const walDb = await PGlite.create({ dataDir, startParams: embeddedStartParams(), extensions: EMBEDDED_EXTENSIONS })
    const walServer = new PgliteWireServer({ db: walDb, path: embeddedSocketPath(own), maxConnections: 2, checkpointIntervalMs: 50 })
    await walServer.start()
    const client = new Client({ connectionString: embeddedDatabaseUrl(own) })
    const segments = () => readdirSync(path.join(dataDir, 'pg_wal')).filter((name) => /^[0-9A-F]{24}$/.test(name)).length
    // What max_wal_size keeps, in 16 MiB segments (the settings test checks it is applied).
    const kept = Number.parseInt(EMBEDDED_SETTINGS.max_wal_size, 10) / 16
    try {
      await client.connect()
      await client.query('CREATE TABLE filler (v text)')
      // About 25 MB of log per statement, 150 MB in all: more than twice what a checkpoint keeps.
      for (let i = 0; i < 6; i++) await client.query(`INSERT INTO filler SELECT repeat(md5(g::text), 30) FROM generate_series(1, 25000) g`)
      const written = walServer.checkpoints
      await waitFor(() => walServer.checkpoints > written && segments() <= kept, `a checkpoint to leave at most ${kept} log segments`, 30_000)
    } finally {
      await client.end()
      await walServer.stop()
      await walDb.close()
      rmSync(own, { recursive: true, force: true })
    }
  }, 120_000)
})
