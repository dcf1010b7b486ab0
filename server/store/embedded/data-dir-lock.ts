import { readFileSync, rmSync, writeFileSync } from 'node:fs'

/** The lock sits beside the data dir, not in it: PGlite owns the directory's contents. */
const lockPath = (dataDir: string) => `${dataDir.replace(/\/+$/, '')}.lock`

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * One process per PGlite data dir: two would corrupt it. A lock left by a dead process (crash,
 * SIGKILL) is taken over.
 */
export function acquireDataDirLock(dataDir: string): { acquired: true } | { acquired: false; holderPid: number } {
  const file = lockPath(dataDir)
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' })
      return { acquired: true }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const holderPid = Number(readFileSync(file, 'utf8').trim())
      if (Number.isInteger(holderPid) && holderPid > 0 && holderPid !== process.pid && isAlive(holderPid)) return { acquired: false, holderPid }
      rmSync(file, { force: true })
    }
  }
  return { acquired: false, holderPid: Number(readFileSync(file, 'utf8').trim()) }
}

export function releaseDataDirLock(dataDir: string): void {
  const file = lockPath(dataDir)
  try {
    if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file, { force: true })
  } catch {
    // Already gone.
  }
}
