import { execFileSync, fork } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { Client } from 'pg'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { createLogger } from '../../server/logger'
import { openStore } from '../../server/store/data-source'
import { startEmbeddedPostgres } from '../../server/store/embedded/embedded-postgres'
import { EMBEDDED_SETTINGS } from '../../server/store/embedded/pglite-settings'
import { StoreError } from '../../server/store/store-errors'
import { captureLogger } from '../support/capture-logger'
import { isAlive, queryRows } from '../support/processes'
import { waitFor } from '../support/wait'

const logger = createLogger('silent')
const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** A data dir with a database already in it (a copy of the run's template), unless `empty`. */
function tempDataDir({ empty = false } = {}): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'claudescope-embedded-'))
  cleanups.push(() => rmSync(root, { recursive: true, force: true }))
  const dataDir = path.join(root, 'pglite')
  if (!empty) cpSync(inject('pgliteTemplateDir'), dataDir, { recursive: true })
  return dataDir
}

/** TCP ports the process listens on, from its socket descriptors and /proc/net/tcp{,6}. */
function listeningTcpPorts(pid: number): number[] {
  const inodes = new Set(
    readdirSync(`/proc/${pid}/fd`)
      .map((fd) => { try { return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] } catch { return undefined } })
      .filter((inode) => inode !== undefined),
  )
  const ports: number[] = []
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/)
      const LISTEN = '0A'
      if (fields[3] === LISTEN && inodes.has(fields[9]!)) ports.push(parseInt(fields[1]!.split(':')[1]!, 16))
    }
  }
  return ports
}

describe('the embedded database', () => {
  it('listens on no TCP port, only on a Unix socket in a directory only this user can enter, also after a restart', async () => {
    const embedded = await startEmbeddedPostgres({ dataDir: tempDataDir(), logger })
    cleanups.push(() => embedded.stop())
    for (let round = 0; round < 2; round++) {
      expect(listeningTcpPorts(embedded.pid)).toEqual([])
      const socketDir = new URL(embedded.url).searchParams.get('host')!
      expect(statSync(socketDir).mode & 0o777).toBe(0o700)
      const socketFile = path.join(socketDir, '.s.PGSQL.5432')
      expect(statSync(socketFile).isSocket()).toBe(true)
      await new Promise<void>((resolve, reject) => net.connect(socketFile).once('connect', function (this: net.Socket) { this.destroy(); resolve() }).once('error', reject))
      expect(await queryRows(embedded.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }])
      if (round === 0) {
        process.kill(embedded.pid, 'SIGKILL')
        await waitFor(() => embedded.restarts === 1, 'the restart', 30_000)
      }
    }
  }, 60_000)

  it('serves at a lower priority than the proxy, so a contended CPU goes to forwarding first, also after a restart', async () => {
    const embedded = await startEmbeddedPostgres({ dataDir: tempDataDir(), logger })
    cleanups.push(() => embedded.stop())
    expect(os.getPriority(embedded.pid)).toBe(os.constants.priority.PRIORITY_BELOW_NORMAL)
    expect(os.getPriority()).toBeLessThan(os.constants.priority.PRIORITY_BELOW_NORMAL)
    process.kill(embedded.pid, 'SIGKILL')
    await waitFor(() => embedded.restarts === 1, 'the restart', 30_000)
    expect(await queryRows(embedded.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }])
    expect(os.getPriority(embedded.pid)).toBe(os.constants.priority.PRIORITY_BELOW_NORMAL)
  }, 60_000)

  it('creates a new database in a process of its own, gone before the serving process starts, and only the first time', async () => {
    const dataDir = tempDataDir({ empty: true })
    const first = captureLogger()
    const embedded = await startEmbeddedPostgres({ dataDir, logger: first.logger })
    const initialised = first.lines.filter((line) => line.msg === 'embedded database initialised')
    expect(initialised).toHaveLength(1)
    const initialiser = initialised[0]!.pid as number
    expect(initialiser).not.toBe(embedded.pid)
    expect(isAlive(initialiser)).toBe(false)
    expect(await queryRows(embedded.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }])
    await embedded.stop()

    const second = captureLogger()
    const again = await startEmbeddedPostgres({ dataDir, logger: second.logger })
    cleanups.push(() => again.stop())
    expect(second.lines.filter((line) => line.msg === 'embedded database initialised')).toEqual([])
    expect(await queryRows(again.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }])
  }, 60_000)

  it('runs PostgreSQL with memory settings sized for one user, as the app\'s store sees them', async () => {
    const embedded = await startEmbeddedPostgres({ dataDir: tempDataDir(), logger })
    cleanups.push(() => embedded.stop())
    const store = await openStore(embedded.url)
    cleanups.push(() => store.destroy())
    for (const [name, value] of Object.entries(EMBEDDED_SETTINGS)) {
      expect(await store.query(`SHOW ${name}`)).toEqual([{ [name]: value }])
    }
  })

  it('keeps its data across a stop and a start', async () => {
    const dataDir = tempDataDir()
    const first = await startEmbeddedPostgres({ dataDir, logger })
    await queryRows(first.url, `CREATE TABLE kept (n numeric); INSERT INTO kept VALUES (12345678901234567890)`)
    await first.stop()
    const second = await startEmbeddedPostgres({ dataDir, logger })
    cleanups.push(() => second.stop())
    expect(await queryRows(second.url, 'SELECT n::text FROM kept')).toEqual([{ n: '12345678901234567890' }])
  })

  it('rolls back the transaction of a connection that goes away inside it, and serves the other connections after it', async () => {
    const db = await startEmbeddedPostgres({ dataDir: tempDataDir(), logger })
    cleanups.push(() => db.stop())
    await queryRows(db.url, 'CREATE TABLE left_open (n int)')
    const leaving = new Client({ connectionString: db.url })
    await leaving.connect()
    leaving.on('error', () => {})
    await leaving.query('BEGIN')
    await leaving.query('INSERT INTO left_open VALUES ($1)', [1])
    const gone = new Promise((resolve) => leaving.once('end', resolve))
    ;(leaving as unknown as { connection: { stream: net.Socket } }).connection.stream.destroy()
    await gone
    expect(await queryRows(db.url, 'SELECT count(*)::int AS n FROM left_open')).toEqual([{ n: 0 }])
  })

  it('refuses a second process on the same data dir with EMBEDDED_DATA_DIR_LOCKED', async () => {
    const dataDir = tempDataDir()
    const first = await startEmbeddedPostgres({ dataDir, logger })
    cleanups.push(() => first.stop())
    const err = await startEmbeddedPostgres({ dataDir, logger }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StoreError)
    expect((err as StoreError).code).toBe('EMBEDDED_DATA_DIR_LOCKED')
    expect(await queryRows(first.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }])
  })

  it('fails with EMBEDDED_START_FAILED carrying the child\'s reason when the data dir cannot be created', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'claudescope-embedded-'))
    cleanups.push(() => rmSync(root, { recursive: true, force: true }))
    const dataDir = path.join(root, 'not-a-dir')
    writeFileSync(dataDir, 'a file where the data dir should be')
    const err = await startEmbeddedPostgres({ dataDir, logger }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StoreError)
    expect((err as StoreError).code).toBe('EMBEDDED_START_FAILED')
    expect((err as StoreError).message).toContain(`Cannot create the embedded database directory ${dataDir}`)
  })

  it('exits when the process that started it is killed, and its lock can then be taken over', async () => {
    const dataDir = tempDataDir()
    const script = `
      const { startEmbeddedPostgres } = require(${JSON.stringify(path.resolve(__dirname, '../../server/store/embedded/embedded-postgres.ts'))})
      startEmbeddedPostgres({ dataDir: process.argv[1], logger: { info() {}, error() {} } }).then(() => process.send('ready'))
    `
    const parent = fork('-e', [script, dataDir], { execArgv: ['-r', '@swc-node/register', '-e', script], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    await new Promise<void>((resolve, reject) => {
      parent.once('message', () => resolve())
      parent.once('exit', (code) => reject(new Error(`launcher exited with ${code}`)))
    })
    const childPid = Number(execFileSync('pgrep', ['-P', String(parent.pid)]).toString().trim().split('\n')[0])
    expect(isAlive(childPid)).toBe(true)
    parent.kill('SIGKILL')
    await waitFor(() => !isAlive(childPid), 'the embedded database process to exit after its parent died', 15_000)
    const again = await startEmbeddedPostgres({ dataDir, logger })
    cleanups.push(() => again.stop())
    expect(await queryRows(again.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }])
  })
})
