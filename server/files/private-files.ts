import { chmodSync, lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Logger } from '../logger'

/**
 * Claudescope's files hold whole prompts, responses and key fingerprints, so what it creates is
 * readable by its own user only: directories 0700, files 0600, whatever the umask.
 */
export const PRIVATE_DIR_MODE = 0o700
export const PRIVATE_FILE_MODE = 0o600

/** Group and other permission bits. */
const SHARED_BITS = 0o077

/** Creates `dir` (and missing parents) as 0700, or tightens it to 0700 if it exists. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE })
  const mode = lstatSync(dir).mode & 0o777
  if (mode & SHARED_BITS) chmodSync(dir, mode & ~SHARED_BITS)
}

/**
 * Takes the group and other bits off `dir` and everything under it (symbolic links are not
 * followed): files an earlier version or another tool (PGlite writes with the process umask)
 * left readable by others. Runs once at start; a PGlite data dir is a few thousand entries.
 */
export function makeTreePrivate(dir: string): void {
  const stat = lstatSync(dir)
  if (stat.isSymbolicLink()) return
  if (stat.mode & SHARED_BITS) chmodSync(dir, stat.mode & 0o777 & ~SHARED_BITS)
  if (stat.isDirectory()) for (const name of readdirSync(dir)) makeTreePrivate(path.join(dir, name))
}

/** True when others than the owner may read, write or enter `dir`. */
function isSharedWithOthers(dir: string): boolean {
  return (lstatSync(dir).mode & SHARED_BITS) !== 0
}

/** Writes `file` readable by its owner only, tightening it if it existed with looser modes. */
export function writePrivateFile(file: string, data: string | Uint8Array): void {
  writeFileSync(file, data, { mode: PRIVATE_FILE_MODE })
  const mode = lstatSync(file).mode & 0o777
  if (mode & SHARED_BITS) chmodSync(file, PRIVATE_FILE_MODE)
}

/**
 * Creates DATA_DIR as 0700 if missing. One that exists is the user's choice and is left as it is
 * (it may be shared on purpose), with a warning when others may enter it: everything Claudescope
 * creates inside is private regardless.
 */
export function ensureDataDir(dataDir: string, logger: Logger): void {
  if (mkdirSync(dataDir, { recursive: true, mode: PRIVATE_DIR_MODE }) !== undefined) return
  if (isSharedWithOthers(dataDir)) {
    logger.warn({ dataDir, mode: (lstatSync(dataDir).mode & 0o777).toString(8) }, 'DATA_DIR may be entered by other local users; Claudescope keeps its own files in it private, but consider chmod 700 on it')
  }
}
