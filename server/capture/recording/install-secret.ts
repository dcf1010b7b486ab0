import { randomBytes } from 'node:crypto'
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../../files/private-files'
import { CaptureError } from '../capture-error'

/** Length of the per-install secret that keys API-key fingerprints. */
const INSTALL_SECRET_BYTES = 32

/**
 * Reads `<dataDir>/install-secret`, creating it (32 random bytes, mode 0600, directory 0700 included)
 * on first start. Fingerprints are only comparable within one install: losing the file changes
 * every fingerprint from then on. Synchronous because it runs once at start-up.
 */
export function loadInstallSecret(dataDir: string): Buffer {
  const file = path.join(dataDir, 'install-secret')
  mkdirSync(dataDir, { recursive: true, mode: PRIVATE_DIR_MODE })
  try {
    writeFileSync(file, randomBytes(INSTALL_SECRET_BYTES), { mode: PRIVATE_FILE_MODE, flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    chmodSync(file, PRIVATE_FILE_MODE) // one an earlier version or a copy left open to others
  }
  const secret = readFileSync(file)
  if (secret.length !== INSTALL_SECRET_BYTES) {
    throw new CaptureError(
      'INSTALL_SECRET_INVALID',
      `${file} must hold ${INSTALL_SECRET_BYTES} bytes but holds ${secret.length}; delete it to create a new one (fingerprints will change)`,
    )
  }
  return secret
}
