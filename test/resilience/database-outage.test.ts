/**
 * Durability end to end: the database goes away under steady SDK traffic; forwarding must not notice, and
 * every record must be in the database exactly once when it comes back.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { createLogger } from '../../server/logger'
import { startEmbeddedPostgres } from '../../server/store/embedded/embedded-postgres'
import { findPostgresBin, startPgCluster } from '../support/pg-cluster'
import { startApp } from '../support/start-app'
import { waitFor } from '../support/wait'
import { createTestDatabase } from '../support/test-database'
import { survives } from '../support/steady-load'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('a database outage under steady traffic', () => {
  it.runIf(findPostgresBin() !== null)('loses and doubles nothing when PostgreSQL stops for 30 s, and the spool drains when it returns', async () => {
    const cluster = await startPgCluster()
    cleanups.push(() => cluster.destroy())
    const app = await startApp({ databaseUrl: cluster.url })
    cleanups.push(() => app.close())
    await survives(app, cluster.url, async () => {
      await cluster.stop()
      await pause(30_000)
      await cluster.start()
    })
  }, 180_000)

  it('loses and doubles nothing when the embedded database hangs for 20 s', async () => {
    const database = await createTestDatabase()
    cleanups.push(() => database.drop())
    if (database.pid === undefined) throw new Error('this test needs an embedded database (the server:pglite project)')
    const app = await startApp({ databaseUrl: database.url })
    cleanups.push(() => app.close())
    await survives(app, database.url, async () => {
      process.kill(database.pid!, 'SIGSTOP')
      try {
        await pause(20_000)
      } finally {
        process.kill(database.pid!, 'SIGCONT')
      }
    })
  }, 180_000)

  it('loses and doubles nothing when the embedded database process is killed: it is restarted on its socket', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'claudescope-killed-db-'))
    cleanups.push(async () => rmSync(root, { recursive: true, force: true }))
    const dataDir = path.join(root, 'pglite')
    cpSync(inject('pgliteTemplateDir'), dataDir, { recursive: true })
    const embedded = await startEmbeddedPostgres({ dataDir, logger: createLogger('silent') })
    cleanups.push(() => embedded.stop())
    const app = await startApp({ databaseUrl: embedded.url })
    cleanups.push(() => app.close())
    await survives(app, embedded.url, async () => {
      const killed = embedded.pid
      process.kill(killed, 'SIGKILL')
      await waitFor(() => embedded.restarts === 1, 'the embedded database to be restarted', 30_000)
      expect(embedded.pid).not.toBe(killed)
      await pause(5_000)
    })
  }, 180_000)
})
