import { topLevelMembers, type JsonMember, type JsonSpan } from '../../wire/top-level-members'
import { contentIdOf } from './content-id'

/**
 * Marks in a skeleton where a part was cut out: a control character, which valid JSON never holds
 * raw (inside strings it must be escaped, outside them only whitespace may stand), so a skeleton
 * splits back into its pieces without ambiguity.
 */
export const PART_MARK = '\u0001'
const PART_MARK_BYTE = Buffer.from(PART_MARK)

/** The top-level arrays whose elements repeat from one request to the next: Claude Code resends them all on every turn. */
const SPLIT_MEMBERS = new Set(['system', 'tools', 'messages'])

/** One element cut out of a body, stored once under its content id. */
export interface BodyPart {
  id: string
  /** The element's bytes, a view into the body (never copied). */
  bytes: Buffer
  /** The top-level array it was cut from: `system`, `tools` or `messages`. */
  member: string
}

/**
 * A request body as the `requests` row holds it: `text` alone when stored whole, else the skeleton
 * (the body with each part replaced by PART_MARK) and the parts' content ids in order.
 */
export interface StoredBody {
  text: Buffer | string
  contentIds: string[] | null
  parts: BodyPart[]
  /** The body's top-level members as the one scan found them (empty when it is not a JSON object), for readers of other members. */
  members: JsonMember[]
}

/**
 * Cuts every element of a JSON body's top-level `system`, `tools` and `messages` arrays out as a
 * part, keeping the bytes between them (brackets, commas, whitespace, the other members) as the
 * skeleton, so `assembleBody` gives back the very bytes. A body that is not a JSON object, or has
 * none of these arrays, is stored whole.
 */
export function layOutBody(body: Buffer): StoredBody {
  const cuts: Array<JsonSpan & { member: string }> = []
  const members = topLevelMembers(body)?.members ?? []
  for (const member of members) {
    if (SPLIT_MEMBERS.has(member.key) && member.elements !== null) cuts.push(...member.elements.map((span) => ({ ...span, member: member.key })))
  }
  if (cuts.length === 0) return { text: body, contentIds: null, parts: [], members }
  // Members come in body order and elements in array order: the cuts are sorted and apart.
  const pieces: Buffer[] = []
  const parts: BodyPart[] = []
  let at = 0
  for (const { start, end, member } of cuts) {
    const bytes = body.subarray(start, end)
    pieces.push(body.subarray(at, start), PART_MARK_BYTE)
    parts.push({ id: contentIdOf(bytes), bytes, member })
    at = end
  }
  pieces.push(body.subarray(at))
  return { text: Buffer.concat(pieces), contentIds: parts.map((part) => part.id), parts, members }
}

/**
 * The body a row holds: its text when stored whole, else the skeleton with each mark replaced by
 * its part's text from `texts`. Throws when a part is missing, which only a damaged database
 * causes: a body is never returned with a piece left out.
 */
export function assembleBody(text: string, contentIds: readonly string[] | null, texts: ReadonlyMap<string, string>): string {
  if (contentIds === null) return text
  const pieces = text.split(PART_MARK)
  if (pieces.length !== contentIds.length + 1) throw new Error(`A stored request body is damaged: its skeleton has ${pieces.length - 1} parts marked, its row lists ${contentIds.length}`)
  let body = pieces[0]!
  for (let i = 0; i < contentIds.length; i++) {
    const part = texts.get(contentIds[i]!)
    if (part === undefined) throw new Error(`A stored request body is missing its part ${contentIds[i]}: the contents table lost a row still in use`)
    body += part + pieces[i + 1]!
  }
  return body
}

/**
 * Where the parts of each top-level array of a stored body lie in its content ids (`ids.slice(start,
 * end)`), read from its skeleton alone (no part is loaded), and the skeleton's members; null when
 * the skeleton does not match `partCount`.
 */
export function storedPartRangesOf(skeleton: string, partCount: number): { ranges: Map<string, { start: number; end: number }>; members: JsonMember[]; text: Buffer } | null {
  // A mark stands where a value was: any one-byte JSON value keeps the skeleton's offsets.
  const text = Buffer.from(skeleton.replaceAll(PART_MARK, '0'))
  const members = topLevelMembers(text)?.members ?? []
  const ranges = new Map<string, { start: number; end: number }>()
  let at = 0
  for (const member of members) {
    if (!SPLIT_MEMBERS.has(member.key) || member.elements === null) continue
    // A key written twice: the last one is the value JSON.parse (and the API) reads.
    ranges.set(member.key, { start: at, end: at + member.elements.length })
    at += member.elements.length
  }
  return at === partCount ? { ranges, members, text } : null
}
