import { randomBytes } from 'node:crypto'
import { linkSync, lstatSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { readdir, utimes } from 'node:fs/promises'
import path from 'node:path'
import { ensurePrivateDir } from './private-files'
import { currentProcessIdentity, isRunning, type ProcessIdentity } from './process-identity'

/**
 * One holder at a time for a directory of data, across processes, containers sharing a volume
 * and hosts sharing a filesystem, without an OS lock (Node has no flock).
 *
 * The lock is a directory of numbered generation files. The highest number is the state: an
 * owner's identity, or "released". Taking the lock means creating the next number with `link()`,
 * which fails if the name exists, so of any number of contenders judging one generation free,
 * exactly one wins, and the file appears with its whole content. A creator then checks that its
 * number is the highest (a contender that read the state long ago may create a number that was
 * removed since; it steps back). Older generations are deleted by each new owner.
 *
 * A generation is free when it says released, or when its owner is dead: checked through the
 * process table (pid plus start time, so a reused pid is not taken for the owner) when the owner
 * ran in this pid namespace under this kernel, and otherwise by its heartbeat: the owner touches
 * its file every `heartbeatMs`, and one untouched for `staleMs` counts as dead. An owner that finds
 * its generation superseded (frozen past `staleMs`) learns it through `onLost`.
 */
export interface ExclusiveLockOptions {
  /** How often the owner touches its generation file (milliseconds). @default 5_000 */
  heartbeatMs?: number
  /** A generation of an owner this process cannot see, untouched this long, is taken over (milliseconds). @default 30_000 */
  staleMs?: number
  /** Called once if another process took the lock over (this one looked dead to it). */
  onLost?: () => void
}

export interface ExclusiveLock {
  /** Marks the lock released and stops the heartbeat; idempotent. Synchronous so it can run at exit. */
  release(): void
}

/** The owner of a lock that could not be taken. */
export interface LockHolder extends ProcessIdentity {
  acquiredAt: string
}

export type LockAttempt = { acquired: true; lock: ExclusiveLock } | { acquired: false; holder: LockHolder }

type Generation = { number: number; file: string }
type Content = { state: 'owned'; owner: LockHolder; token: string } | { state: 'released' }

const GENERATION_PATTERN = /^(\d{16})\.owner$/
const DEFAULT_HEARTBEAT_MS = 5_000
const DEFAULT_STALE_MS = 30_000
/** Contenders step back and look again this many times before reporting the lock as held. */
const MAX_ATTEMPTS = 8

/** Takes the lock at `lockDir` (a directory, created 0700 if missing) or reports who holds it. */
export function acquireExclusiveLock(lockDir: string, options: ExclusiveLockOptions = {}): LockAttempt {
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS
  removeDeadPidFile(lockDir)
  ensurePrivateDir(lockDir)
  const token = randomBytes(12).toString('hex')
  const owner: LockHolder = { ...currentProcessIdentity(), acquiredAt: new Date().toISOString() }
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const latest = latestGeneration(lockDir)
    if (latest) {
      const content = readContent(latest.file)
      if (content?.state === 'owned' && !isDead(content.owner, latest.file, staleMs)) return { acquired: false, holder: content.owner }
    }
    const mine = generationFile(lockDir, (latest?.number ?? 0) + 1)
    if (!createExclusively(lockDir, mine.file, { state: 'owned', owner, token })) continue
    if (latestGeneration(lockDir)?.number !== mine.number) {
      unlinkQuietly(mine.file)
      continue
    }
    removeOlderThan(lockDir, mine.number)
    return { acquired: true, lock: holdLock(lockDir, mine, token, options) }
  }
  const latest = latestGeneration(lockDir)
  const content = latest && readContent(latest.file)
  return { acquired: false, holder: content?.state === 'owned' ? content.owner : { ...owner, pid: 0, acquiredAt: '' } }
}

/** Describes a holder for an error message. */
export function describeHolder(holder: LockHolder): string {
  return `pid ${holder.pid} on ${holder.hostname}`
}

function holdLock(lockDir: string, mine: Generation, token: string, options: ExclusiveLockOptions): ExclusiveLock {
  let released = false
  let beating = false
  const heartbeat = setInterval(() => {
    if (beating) return
    beating = true
    void (async () => {
      try {
        const now = new Date()
        await utimes(mine.file, now, now)
        const names = await readdir(lockDir)
        const highest = Math.max(...names.map((n) => Number(GENERATION_PATTERN.exec(n)?.[1] ?? 0)))
        if (highest !== mine.number && !released) {
          released = true
          clearInterval(heartbeat)
          options.onLost?.()
        }
      } catch {
        // A missed beat is harmless until staleMs; the next one tries again.
      } finally {
        beating = false
      }
    })()
  }, options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS).unref()
  return {
    release() {
      if (released) return
      released = true
      clearInterval(heartbeat)
      if (latestGeneration(lockDir)?.number !== mine.number) return
      const content = readContent(mine.file)
      if (content?.state !== 'owned' || content.token !== token) return
      if (createExclusively(lockDir, generationFile(lockDir, mine.number + 1).file, { state: 'released' })) unlinkQuietly(mine.file)
    },
  }
}

/** Earlier versions locked with a plain pid file at the same path; one whose process is gone is removed (a live one makes the mkdir fail). */
function removeDeadPidFile(lockPath: string): void {
  let pid: number
  try {
    if (!lstatSync(lockPath).isFile()) return
    pid = Number(readFileSync(lockPath, 'utf8').trim())
  } catch {
    return
  }
  if (isRunning({ ...currentProcessIdentity(), pid, startTicks: null }) !== true) unlinkQuietly(lockPath)
}

function isDead(owner: LockHolder, file: string, staleMs: number): boolean {
  const running = isRunning(owner)
  if (running !== null) return !running
  try {
    return Date.now() - statSync(file).mtimeMs >= staleMs
  } catch {
    return true
  }
}

function latestGeneration(lockDir: string): Generation | null {
  let latest = 0
  for (const name of readdirSync(lockDir)) latest = Math.max(latest, Number(GENERATION_PATTERN.exec(name)?.[1] ?? 0))
  return latest === 0 ? null : generationFile(lockDir, latest)
}

function generationFile(lockDir: string, number: number): Generation {
  return { number, file: path.join(lockDir, `${String(number).padStart(16, '0')}.owner`) }
}

/** Writes a private temporary file, then links it to `file`: false if `file` exists. The content appears whole or not at all. */
function createExclusively(lockDir: string, file: string, content: Content): boolean {
  const temporary = path.join(lockDir, `.${randomBytes(8).toString('hex')}.tmp`)
  writeFileSync(temporary, JSON.stringify(content), { mode: 0o600, flag: 'wx' })
  try {
    linkSync(temporary, file)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  } finally {
    unlinkQuietly(temporary)
  }
}

function readContent(file: string): Content | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Content
  } catch {
    return null
  }
}

/** Older generations go, and temporary files a crash left behind (a minute old: a contender's fresh one is left alone). */
function removeOlderThan(lockDir: string, number: number): void {
  for (const name of readdirSync(lockDir)) {
    const generation = Number(GENERATION_PATTERN.exec(name)?.[1] ?? Number.NaN)
    if (generation < number || (name.endsWith('.tmp') && isOlderThanAMinute(path.join(lockDir, name)))) unlinkQuietly(path.join(lockDir, name))
  }
}

function isOlderThanAMinute(file: string): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs > 60_000
  } catch {
    return false
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file)
  } catch {
    // Already gone.
  }
}
