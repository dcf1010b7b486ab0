/**
 * `"cache_control": {...}` as a member of an object, with the comma that joins it to a neighbour.
 * It cannot match inside a JSON string: there a quote is escaped, so `"cache_control"` followed by
 * a colon never appears raw. Its value is a flat object (`{"type":"ephemeral","ttl":"1h"}`). Read
 * over latin1 text, so match offsets are byte offsets.
 */
const CACHE_CONTROL_MEMBER = /,[ \t\n\r]*"cache_control"[ \t\n\r]*:[ \t\n\r]*\{[^{}]*\}|"cache_control"[ \t\n\r]*:[ \t\n\r]*\{[^{}]*\}[ \t\n\r]*,?/g
const CACHE_CONTROL_NAME = Buffer.from('"cache_control"')
/** A byte no cut may hold: a control character other than JSON's whitespace, which storage uses as a delimiter. */
const CONTROL_BYTE = /[\x00-\x08\x0b\x0c\x0e-\x1f]/

/** Where a `cache_control` member lies in a value's bytes, with its joining comma. */
export interface CacheControlCut {
  start: number
  end: number
}

/** Offsets of every `"cache_control"` in `bytes`, in order: one scan of a whole body, so its elements without one need none of their own. */
export function cacheControlNamesIn(bytes: Buffer): number[] {
  const offsets: number[] = []
  for (let at = bytes.indexOf(CACHE_CONTROL_NAME); at !== -1; at = bytes.indexOf(CACHE_CONTROL_NAME, at + CACHE_CONTROL_NAME.length)) offsets.push(at)
  return offsets
}

/**
 * A JSON value's bytes without its `cache_control` members, and where each was (offsets into
 * `bytes`, in order). Claude Code marks the last message of a request and sends it again unmarked
 * on the next turn, or marked elsewhere: without the marks, both are the same bytes. The same
 * buffer and no cuts when there is none, which one byte search finds.
 */
export function withoutCacheControl(bytes: Buffer): { kept: Buffer; cuts: CacheControlCut[] } {
  if (bytes.indexOf(CACHE_CONTROL_NAME) === -1) return { kept: bytes, cuts: [] }
  const cuts: CacheControlCut[] = []
  for (const match of bytes.toString('latin1').matchAll(CACHE_CONTROL_MEMBER)) {
    if (!CONTROL_BYTE.test(match[0])) cuts.push({ start: match.index, end: match.index + match[0].length })
  }
  if (cuts.length === 0) return { kept: bytes, cuts }
  const pieces: Buffer[] = []
  let at = 0
  for (const cut of cuts) {
    pieces.push(bytes.subarray(at, cut.start))
    at = cut.end
  }
  pieces.push(bytes.subarray(at))
  return { kept: Buffer.concat(pieces), cuts }
}
