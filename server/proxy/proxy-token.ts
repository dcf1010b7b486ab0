import { createHash, timingSafeEqual } from 'node:crypto'
import { PROXY_TOKEN_HEADER } from './hop-by-hop'

/**
 * Builds the PROXY_TOKEN check: exactly one `x-claudescope-token` header equal to `expected`.
 * Both sides are hashed first so the comparison takes the same time whatever the length or
 * content of the guess.
 */
export function createTokenCheck(expected: string): (rawHeaders: readonly string[]) => boolean {
  const expectedDigest = sha256(expected)
  return (rawHeaders) => {
    let presented: string | null = null
    for (let i = 0; i < rawHeaders.length; i += 2) {
      if (rawHeaders[i].length !== PROXY_TOKEN_HEADER.length || rawHeaders[i].toLowerCase() !== PROXY_TOKEN_HEADER) continue
      if (presented !== null) return false
      presented = rawHeaders[i + 1]
    }
    return presented !== null && timingSafeEqual(sha256(presented), expectedDigest)
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}
