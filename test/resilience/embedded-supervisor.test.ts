/** The embedded database's supervision: a killed PGlite process comes back on its socket with its data. */
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { createLogger } from '../../server/logger'
import { startEmbeddedPostgres } from '../../server/store/embedded/embedded-postgres'
import { captureLogger } from '../support/capture-logger'
import { isAlive, queryRows } from '../support/processes'
import { waitFor } from '../support/wait'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

function templateCopy(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'claudescope-supervised-'))
  cleanups.push(() => rmSync(root, { recursive: true, force: true }))
  const dataDir = path.join(root, 'pglite')
  cpSync(inject('pgliteTemplateDir'), dataDir, { recursive: true })
  return dataDir
}

describe('the embedded database supervisor', () => {
  it('restarts a killed database process on the same URL with its committed data, again and again, and stop() ends the latest', async () => {
    const embedded = await startEmbeddedPostgres({ dataDir: templateCopy(), logger: createLogger('silent') })
    cleanups.push(() => embedded.stop())
    await queryRows(embedded.url, 'CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)')
    for (let round = 1; round <= 2; round++) {
      const killed = embedded.pid
      process.kill(killed, 'SIGKILL')
      await waitFor(() => embedded.restarts === round, `restart ${round}`, 30_000)
      expect(isAlive(killed)).toBe(false)
      expect(await queryRows(embedded.url, 'SELECT n FROM kept')).toEqual([{ n: 42 }])
    }
    const last = embedded.pid
    await embedded.stop()
    expect(isAlive(last)).toBe(false)
    expect(embedded.restarts).toBe(2)
  }, 60_000)

  it('leaves a killed process dead with restartOnExit off', async () => {
    const { logger, lines } = captureLogger()
    const embedded = await startEmbeddedPostgres({ dataDir: templateCopy(), logger, restartOnExit: false })
    cleanups.push(() => embedded.stop())
    const killed = embedded.pid
    process.kill(killed, 'SIGKILL')
    await waitFor(() => !isAlive(killed), 'the process to die')
    // The supervisor has seen the exit and decided: this line is logged instead of scheduling a restart.
    await waitFor(() => lines.some((line) => line.msg === 'the embedded database process exited unexpectedly'), 'the supervisor to report the exit')
    expect(embedded.restarts).toBe(0)
    await expect(queryRows(embedded.url, 'SELECT 1')).rejects.toThrow()
  }, 30_000)
})
