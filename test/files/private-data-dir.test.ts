/** What Claudescope leaves in DATA_DIR holds whole prompts: nothing of it may be readable by other local users. */
import { chmodSync, cpSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { startApp } from '../../server/app'
import { loadConfig } from '../../server/config'
import { createLogger, type Logger } from '../../server/logger'
import { Spool } from '../../server/capture/spool/spool'
import { startMockUpstream } from '../support/mock-upstream'
import { inFlightRecord, startOp } from '../capture/records'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** Every path under `root` (itself included) whose mode lets group or others in, with that mode. */
function sharedEntries(root: string): string[] {
  const found: string[] = []
  const visit = (entry: string) => {
    const stat = lstatSync(entry)
    if (stat.isSymbolicLink()) return
    if (stat.mode & 0o077) found.push(`${path.relative(root, entry) || '.'} ${(stat.mode & 0o777).toString(8)}`)
    if (stat.isDirectory()) for (const name of readdirSync(entry)) visit(path.join(entry, name))
  }
  visit(root)
  return found
}

function withUmask(mask: number): void {
  const previous = process.umask(mask)
  cleanups.push(() => void process.umask(previous))
}

async function runApp(dataDir: string, logger: Logger = createLogger('silent')): Promise<void> {
  const upstream = await startMockUpstream()
  cleanups.push(() => upstream.close())
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, DATABASE_URL: '', ANTHROPIC_FORWARD_URL: upstream.url })
  const app = await startApp(config, logger)
  const stopApp = () => app.close()
  cleanups.push(stopApp)
  const res = await fetch(`${app.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'claude-x', max_tokens: 5, messages: [{ role: 'user', content: 'secret prompt' }] }) })
  await res.arrayBuffer()
  // The spool exists in every run; put a segment in it as an outage would (its own lock is the app's).
  await app.close()
  const spool = new Spool({ dir: path.join(dataDir, 'spool'), maxBytes: 1 << 30, logger: createLogger('silent') })
  spool.append(startOp(inFlightRecord()), 'queue_full')
  spool.close()
}

describe('the files in DATA_DIR', () => {
  it('are readable by this user only (directories 0700, files 0600) after an app ran on the embedded database with umask 022, and loose modes an earlier run left are tightened', async () => {
    withUmask(0o022)
    const root = mkdtempSync(path.join(os.tmpdir(), 'claudescope-private-'))
    cleanups.push(() => rmSync(root, { recursive: true, force: true }))
    const dataDir = path.join(root, 'data')
    // An earlier run's embedded database (a copy of the template), as older versions left it: open to all.
    mkdirSync(dataDir, { mode: 0o700 })
    cpSync(inject('pgliteTemplateDir'), path.join(dataDir, 'pglite'), { recursive: true })
    for (const entry of [path.join(dataDir, 'pglite'), path.join(dataDir, 'pglite', 'PG_VERSION')]) chmodSync(entry, lstatSync(entry).isDirectory() ? 0o755 : 0o644)
    mkdirSync(path.join(dataDir, 'spool'), { mode: 0o755 })
    writeFileSync(path.join(dataDir, 'capture-run'), 'an earlier run', { mode: 0o644 })

    await runApp(dataDir)

    expect(readdirSync(path.join(dataDir, 'spool')).some((n) => n.endsWith('.spool'))).toBe(true)
    expect(sharedEntries(dataDir)).toEqual([])
  }, 60_000)

  it('creates a missing DATA_DIR as 0700, and leaves an existing one open to others as it is, with a warning', async () => {
    withUmask(0o022)
    const root = mkdtempSync(path.join(os.tmpdir(), 'claudescope-private-'))
    cleanups.push(() => rmSync(root, { recursive: true, force: true }))
    const created = path.join(root, 'new', 'data')
    await runApp(created)
    expect(lstatSync(created).mode & 0o777).toBe(0o700)

    const shared = path.join(root, 'shared')
    mkdirSync(shared, { mode: 0o755 })
    cpSync(inject('pgliteTemplateDir'), path.join(shared, 'pglite'), { recursive: true })
    const warnings: string[] = []
    const logger = createLogger('silent')
    const warn = logger.warn.bind(logger)
    logger.warn = ((...args: Parameters<Logger['warn']>) => {
      warnings.push(String(args.find((a) => typeof a === 'string')))
      return warn(...args)
    }) as Logger['warn']
    await runApp(shared, logger)
    expect(lstatSync(shared).mode & 0o777).toBe(0o755)
    expect(warnings.some((w) => w.includes('DATA_DIR'))).toBe(true)
    expect(sharedEntries(shared)).toEqual(['. 755'])
  }, 60_000)
})
