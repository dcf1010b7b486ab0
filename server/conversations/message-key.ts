import { hash } from 'node:crypto'
import { withoutCacheControl } from '../wire/cache-control'

/**
 * A message's identity within a thread: its content id, unless it carries `cache_control`, which
 * Claude Code moves from turn to turn (the last message of a request is marked, and sent again
 * unmarked, or marked elsewhere, on the next turn): then the hash of its bytes without it. So the
 * same message sent with and without the marker is one message. Parts of stored bodies are already
 * without it (see body-layout), and their key is their content id.
 */
export function messageKeyOf(bytes: Buffer, contentId: string): string {
  const { kept, cuts } = withoutCacheControl(bytes)
  // A content id is the same digest as hashKey, written as a uuid.
  return cuts.length === 0 ? contentId.replaceAll('-', '') : hashKey(kept)
}

/** A 128-bit hex digest, the size of a content id. */
export function hashKey(text: string | Buffer): string {
  return hash('sha256', text, 'hex').slice(0, 32)
}

/** A uuid-shaped id derived from a key, so the same session, agent or transcript entry gets the same id every time. */
export function idFromKey(key: string): string {
  const hex = hashKey(key)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}
