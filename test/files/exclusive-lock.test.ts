import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { acquireExclusiveLock, type LockAttempt } from '../../server/files/exclusive-lock'
import { currentProcessIdentity } from '../../server/files/process-identity'
import { waitFor } from '../support/wait'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c()
})

function lockDir(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'claudescope-lock-'))
  cleanups.push(() => rmSync(root, { recursive: true, force: true }))
  return path.join(root, 'data.lock')
}

function held(attempt: LockAttempt) {
  if (!attempt.acquired) throw new Error(`expected the lock, held by pid ${attempt.holder.pid}`)
  cleanups.push(() => attempt.lock.release())
  return attempt.lock
}

interface Contender {
  child: ChildProcess
  /** Resolves with the next line the contender prints. */
  nextLine(): Promise<string>
}

function startContender(dir: string): Contender {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(__dirname, '../support/lock-contender.ts'), dir], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, SWC_NODE_PROJECT: path.resolve(__dirname, '../../tsconfig.json') },
  })
  cleanups.push(() => child.kill('SIGKILL'))
  const lines: string[] = []
  const waiting: ((line: string) => void)[] = []
  let buffered = ''
  child.stdout!.on('data', (data: Buffer) => {
    buffered += data.toString()
    for (let end = buffered.indexOf('\n'); end !== -1; end = buffered.indexOf('\n')) {
      const line = buffered.slice(0, end)
      buffered = buffered.slice(end + 1)
      const waiter = waiting.shift()
      if (waiter) waiter(line)
      else lines.push(line)
    }
  })
  return {
    child,
    nextLine: () => (lines.length > 0 ? Promise.resolve(lines.shift()!) : new Promise((resolve) => waiting.push(resolve))),
  }
}

const exited = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())))

/** A lock generation written by hand, as another process would have left it. */
function writeGeneration(dir: string, number: number, owner: object, ageMs = 0): void {
  const file = path.join(dir, `${String(number).padStart(16, '0')}.owner`)
  writeFileSync(file, JSON.stringify({ state: 'owned', token: 'by-hand', owner: { acquiredAt: new Date().toISOString(), ...owner } }))
  const at = new Date(Date.now() - ageMs)
  utimesSync(file, at, at)
}

describe('the exclusive lock', () => {
  it('refuses a second acquirer in the same process while the first holds it, and gives it to the next once released, many times over', () => {
    const dir = lockDir()
    for (let round = 0; round < 50; round++) {
      const first = held(acquireExclusiveLock(dir))
      const second = acquireExclusiveLock(dir)
      expect(second.acquired).toBe(false)
      expect(!second.acquired && second.holder.pid).toBe(process.pid)
      first.release()
    }
    expect(readdirSync(dir).length).toBeLessThanOrEqual(2) // old generations are cleaned up
  })

  it('gives the lock to exactly one of several processes racing for it, round after round, each round taking over from a holder killed with SIGKILL', async () => {
    const dir = lockDir()
    for (let round = 0; round < 4; round++) {
      const contenders = [startContender(dir), startContender(dir), startContender(dir)]
      for (const c of contenders) expect(await c.nextLine()).toBe('ready')
      for (const c of contenders) c.child.stdin!.write('go\n')
      const outcomes = await Promise.all(contenders.map((c) => c.nextLine()))
      expect(outcomes.filter((o) => o === 'acquired'), `round ${round}: ${outcomes.join(', ')}`).toHaveLength(1)
      for (const c of contenders) c.child.kill('SIGKILL')
      await Promise.all(contenders.map((c) => exited(c.child)))
    }
  }, 60_000)

  it('respects a lock of a process under another kernel or pid namespace while its heartbeat is fresh, though its pid looks alive or dead here, and takes it over once the heartbeat is stale', () => {
    const dir = lockDir()
    held(acquireExclusiveLock(dir)).release()
    const elsewhere = { ...currentProcessIdentity(), pid: 1, hostname: 'other-container', pidNamespace: 'pid:[1]', startTicks: '7' }
    writeGeneration(dir, 100, elsewhere)
    const refused = acquireExclusiveLock(dir, { staleMs: 30_000 })
    expect(refused.acquired).toBe(false)
    expect(!refused.acquired && refused.holder.hostname).toBe('other-container')
    writeGeneration(dir, 101, { ...elsewhere, kernel: 'another-machine', pid: 2147483646 })
    expect(acquireExclusiveLock(dir, { staleMs: 30_000 }).acquired).toBe(false)
    writeGeneration(dir, 102, { ...elsewhere, kernel: 'another-machine', pid: process.ppid }, 31_000)
    held(acquireExclusiveLock(dir, { staleMs: 30_000 }))
  })

  it('takes over a lock whose pid was reused by another process in this namespace', () => {
    const dir = lockDir()
    held(acquireExclusiveLock(dir)).release()
    writeGeneration(dir, 50, { ...currentProcessIdentity(), pid: process.ppid, startTicks: '1' })
    held(acquireExclusiveLock(dir))
  })

  it('tells an owner through onLost that another process took its lock over, and its release then leaves the new owner alone', async () => {
    const dir = lockDir()
    let lost = false
    const lock = held(acquireExclusiveLock(dir, { heartbeatMs: 10, onLost: () => (lost = true) }))
    writeGeneration(dir, 1000, { ...currentProcessIdentity(), pid: process.ppid, startTicks: null })
    await waitFor(() => lost, 'onLost')
    lock.release()
    expect(readdirSync(dir)).toContain(`${String(1000).padStart(16, '0')}.owner`)
    expect(acquireExclusiveLock(dir).acquired).toBe(false)
  })
})
