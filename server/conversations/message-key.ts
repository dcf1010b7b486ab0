import { hash } from 'node:crypto'

/**
 * `"cache_control": {...}` as a member of an object, with the comma that joins it to a neighbour.
 * It cannot match inside a JSON string: there a quote is escaped, so `"cache_control"` followed by
 * a colon never appears raw. Its value is a flat object (`{"type":"ephemeral","ttl":"1h"}`).
 */
const CACHE_CONTROL = /,\s*"cache_control"\s*:\s*\{[^{}]*\}|"cache_control"\s*:\s*\{[^{}]*\}\s*,?/g
const CACHE_CONTROL_NAME = Buffer.from('"cache_control"')

/**
 * A message's identity within a thread: its content id, unless it carries `cache_control`, which
 * Claude Code moves from turn to turn (the last message of a request is marked, and sent again
 * unmarked, or marked elsewhere, on the next turn): then the hash of its bytes without it. So the
 * same message sent with and without the marker is one message.
 */
export function messageKeyOf(bytes: Buffer, contentId: string): string {
  // A content id is the same digest as hashKey, written as a uuid.
  if (bytes.indexOf(CACHE_CONTROL_NAME) === -1) return contentId.replaceAll('-', '')
  const stripped = bytes.toString('utf8').replace(CACHE_CONTROL, '')
  return hashKey(stripped)
}

/** A 128-bit hex digest, the size of a content id. */
export function hashKey(text: string): string {
  return hash('sha256', text, 'hex').slice(0, 32)
}

/** A uuid-shaped id derived from a key, so the same session, agent or transcript entry gets the same id every time. */
export function idFromKey(key: string): string {
  const hex = hashKey(key)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}
