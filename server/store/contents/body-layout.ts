import { cacheControlNamesIn, withoutCacheControl } from '../../wire/cache-control'
import { topLevelMembers, type JsonMember, type JsonSpan } from '../../wire/top-level-members'
import { contentIdOf } from './content-id'
import { ownPartIds, partListOf, type PartList } from './part-list'

/**
 * Marks in a skeleton where a part was cut out: a control character, which valid JSON never holds
 * raw (inside strings it must be escaped, outside them only whitespace may stand), so a skeleton
 * splits back into its pieces without ambiguity.
 */
export const PART_MARK = '\u0001'
const PART_MARK_BYTE = Buffer.from(PART_MARK)
/**
 * A part's `cache_control` member, kept in the skeleton right after the part's mark rather than in
 * the part (see withoutCacheControl): CUT_MARK, its byte offset in the element, CUT_MARK, its
 * bytes, CUT_END. Control characters, which a cut never holds, so the record reads back unambiguously.
 */
const CUT_MARK = '\u0002'
const CUT_END = '\u0003'
const CUT_END_BYTE = Buffer.from(CUT_END)
const CUT_RECORD = /\u0002(\d+)\u0002([^\u0003]*)\u0003/y

/** The top-level arrays whose elements repeat from one request to the next: Claude Code resends them all on every turn. */
const SPLIT_MEMBERS = new Set(['system', 'tools', 'messages'])

/** One element cut out of a body, stored once under its content id. */
export interface BodyPart {
  id: string
  /** The element's bytes without its `cache_control` members: a view into the body unless it had one. */
  bytes: Buffer
  /** The top-level array it was cut from: `system`, `tools` or `messages`. */
  member: string
}

/**
 * A request body as the `requests` row holds it: `text` alone when stored whole, else the skeleton
 * (the body with each part replaced by PART_MARK) and the parts' content ids in order, all but
 * those of its newest messages in a list shared with other rows (see partListOf).
 */
export interface StoredBody {
  text: Buffer | string
  contentIds: string[] | null
  partList: PartList | null
  /** The ids the row holds itself: all but its list's. */
  ownIds: readonly string[] | null
  parts: BodyPart[]
  /** The body's top-level members as the one scan found them (empty when it is not a JSON object), for readers of other members. */
  members: JsonMember[]
}

/**
 * Cuts every element of a JSON body's top-level `system`, `tools` and `messages` arrays out as a
 * part, keeping the bytes between them (brackets, commas, whitespace, the other members) as the
 * skeleton, so `assembleBody` gives back the very bytes. A part's `cache_control` members stay in
 * the skeleton: the message Claude Code marks on one turn and resends unmarked on the next is then
 * one part, stored once. A body that is not a JSON object, or has none of these arrays, is stored
 * whole.
 */
export function layOutBody(body: Buffer): StoredBody {
  const cuts: Array<JsonSpan & { member: string }> = []
  const members = topLevelMembers(body)?.members ?? []
  for (const member of members) {
    if (SPLIT_MEMBERS.has(member.key) && member.elements !== null) cuts.push(...member.elements.map(({ start, end }) => ({ start, end, member: member.key })))
  }
  if (cuts.length === 0) return { text: body, contentIds: null, partList: null, ownIds: null, parts: [], members }
  // Members come in body order and elements in array order: the cuts are sorted and apart.
  const pieces: Buffer[] = []
  const parts: BodyPart[] = []
  const names = cacheControlNamesIn(body)
  let name = 0
  let at = 0
  for (const { start, end, member } of cuts) {
    const element = body.subarray(start, end)
    while (name < names.length && names[name]! < start) name++
    const { kept, cuts: marks } = name < names.length && names[name]! < end ? withoutCacheControl(element) : { kept: element, cuts: [] }
    pieces.push(body.subarray(at, start), PART_MARK_BYTE)
    for (const mark of marks) pieces.push(Buffer.from(`${CUT_MARK}${mark.start}${CUT_MARK}`), element.subarray(mark.start, mark.end), CUT_END_BYTE)
    parts.push({ id: contentIdOf(kept), bytes: kept, member })
    at = end
  }
  pieces.push(body.subarray(at))
  const contentIds = parts.map((part) => part.id)
  const messagesAt = parts.findIndex((part) => part.member === 'messages')
  const messagesEnd = messagesAt === -1 ? -1 : parts.findIndex((part, i) => i > messagesAt && part.member !== 'messages')
  const partList = partListOf(contentIds, messagesAt === -1 ? null : { start: messagesAt, end: messagesEnd === -1 ? parts.length : messagesEnd })
  return { text: Buffer.concat(pieces), contentIds, partList, ownIds: ownPartIds(contentIds, partList), parts, members }
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
    const { marks, rest } = cacheControlMarksOf(pieces[i + 1]!)
    body += (marks.length === 0 ? part : withMarks(part, marks)) + rest
  }
  return body
}

/** A part's `cache_control` members as the skeleton keeps them after its mark, and the skeleton's text after them. */
function cacheControlMarksOf(piece: string): { marks: Array<{ at: number; text: string }>; rest: string } {
  const marks: Array<{ at: number; text: string }> = []
  let end = 0
  CUT_RECORD.lastIndex = 0
  for (let match = CUT_RECORD.exec(piece); match !== null; match = CUT_RECORD.exec(piece)) {
    marks.push({ at: Number(match[1]), text: match[2]! })
    end = CUT_RECORD.lastIndex
  }
  return { marks, rest: piece.slice(end) }
}

/** A part's text with its `cache_control` members put back, at their byte offsets in the element. */
function withMarks(part: string, marks: ReadonlyArray<{ at: number; text: string }>): string {
  const kept = Buffer.from(part)
  const pieces: Buffer[] = []
  let from = 0
  let removed = 0
  for (const { at, text } of marks) {
    const cut = Buffer.from(text)
    pieces.push(kept.subarray(from, at - removed), cut)
    from = at - removed
    removed += cut.length
  }
  pieces.push(kept.subarray(from))
  return Buffer.concat(pieces).toString('utf8')
}

/**
 * Where the parts of each top-level array of a stored body lie in its content ids (`ids.slice(start,
 * end)`), read from its skeleton alone (no part is loaded), the skeleton's members, and each part's
 * `cache_control` members (empty for a part without, or stored with them); null when the skeleton
 * does not match `partCount`.
 */
export function storedPartRangesOf(
  skeleton: string,
  partCount: number,
): { ranges: Map<string, { start: number; end: number }>; members: JsonMember[]; text: Buffer; cacheControls: string[] } | null {
  const [head, ...pieces] = skeleton.split(PART_MARK)
  if (pieces.length !== partCount) return null
  const cacheControls: string[] = []
  let withoutParts = head!
  for (const piece of pieces) {
    const { marks, rest } = cacheControlMarksOf(piece)
    cacheControls.push(marks.map((mark) => mark.text).join(''))
    // A mark stands where a value was: any one-byte JSON value keeps the skeleton's offsets.
    withoutParts += '0' + rest
  }
  const text = Buffer.from(withoutParts)
  const members = topLevelMembers(text)?.members ?? []
  const ranges = new Map<string, { start: number; end: number }>()
  let at = 0
  for (const member of members) {
    if (!SPLIT_MEMBERS.has(member.key) || member.elements === null) continue
    // A key written twice: the last one is the value JSON.parse (and the API) reads.
    ranges.set(member.key, { start: at, end: at + member.elements.length })
    at += member.elements.length
  }
  return at === partCount ? { ranges, members, text, cacheControls } : null
}
