import { hash } from 'node:crypto'

/**
 * A content's id: the first 128 bits of the SHA-256 of its UTF-8 bytes, written as a uuid, the
 * column type that holds 16 bytes without a length header and compares fastest. Equal texts share
 * one id, hence one row; 128 bits leave accidental collisions out of reach.
 */
export function contentIdOf(bytes: Buffer): string {
  const hex = hash('sha256', bytes, 'hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}
