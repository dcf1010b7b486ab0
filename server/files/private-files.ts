import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs'
import path from 'node:path'

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
export function isSharedWithOthers(dir: string): boolean {
  return (lstatSync(dir).mode & SHARED_BITS) !== 0
}
