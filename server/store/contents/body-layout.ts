import { cacheControlNamesIn, withoutCacheControl } from '../../wire/cache-control'
import { RecentBodies } from '../../wire/recent-bodies'
import { topLevelMembers, type JsonMember, type JsonSpan } from '../../wire/top-level-members'
import { contentIdOf } from './content-id'
import { ownPartIds, partListOf, type PartList } from './part-list'

/**
 * Marks in a skeleton where a part was cut out: a control character, which valid JSON never holds
 * raw (inside strings it must be escaped, outside them only whitespace may stand), so a skeleton
 * splits back into its pieces without ambiguity.
 */
export const PART_MARK = '\u0001'
const PART_MARK_CODE = 0x01
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
 * whole. A part cut from bytes the body shares with one laid out lately (the turn before, in a
 * conversation) is taken over from that one's layout rather than hashed again.
 */
export function layOutBody(body: Buffer): StoredBody {
  const cuts: Array<JsonSpan & { member: string }> = []
  const members = topLevelMembers(body)?.members ?? []
  for (const member of members) {
    if (SPLIT_MEMBERS.has(member.key) && member.elements !== null) cuts.push(...member.elements.map(({ start, end }) => ({ start, end, member: member.key })))
  }
  if (cuts.length === 0) return { text: body, contentIds: null, partList: null, ownIds: null, parts: [], members }
  const earlier = earlierLayoutOf(body)
  const cutParts = new Map<number, CutPart>()
  // Members come in body order and elements in array order: the cuts are sorted and apart.
  const parts: BodyPart[] = []
  // With an earlier layout, the elements it did not cut are searched one by one; else one search of the body finds them.
  const names = earlier === undefined ? cacheControlNamesIn(body) : null
  let name = 0
  for (const { start, end, member } of cuts) {
    const element = body.subarray(start, end)
    let cut = earlier?.partAt(start, end)
    if (cut === undefined) {
      if (names !== null) while (name < names.length && names[name]! < start) name++
      const { kept, cuts: marks } = names === null || (name < names.length && names[name]! < end) ? withoutCacheControl(element) : { kept: element, cuts: [] }
      const id = contentIdOf(kept)
      // The records are copies (and `kept` one already), so a later layout that takes them over holds no part of this body.
      cut = marks.length === 0 ? { id, kept: null, records: [] } : { id, kept, records: marks.flatMap((mark) => [Buffer.from(`${CUT_MARK}${mark.start}${CUT_MARK}`), Buffer.from(element.subarray(mark.start, mark.end)), CUT_END_BYTE]) }
    }
    cutParts.set(start, cut)
    parts.push({ id: cut.id, bytes: cut.kept ?? element, member })
  }
  const contentIds = parts.map((part) => part.id)
  const messagesAt = parts.findIndex((part) => part.member === 'messages')
  const messagesEnd = messagesAt === -1 ? -1 : parts.findIndex((part, i) => i > messagesAt && part.member !== 'messages')
  const partList = partListOf(contentIds, messagesAt === -1 ? null : { start: messagesAt, end: messagesEnd === -1 ? parts.length : messagesEnd }, earlier?.partList)
  layouts.set(body, { cutParts, partList })
  recentlyLaidOut.remember(body, earlier?.body ?? null)
  return { text: skeletonOf(body, cuts, cutParts), contentIds, partList, ownIds: ownPartIds(contentIds, partList), parts, members }
}

/** The body with each cut replaced by PART_MARK and the records of its `cache_control` members, copied gap by gap. */
function skeletonOf(body: Buffer, cuts: readonly JsonSpan[], cutParts: ReadonlyMap<number, CutPart>): Buffer {
  let bytes = body.length
  for (const { start, end } of cuts) bytes += 1 - (end - start) + cutParts.get(start)!.records.reduce((sum, record) => sum + record.length, 0)
  const skeleton = Buffer.allocUnsafe(bytes)
  let to = 0
  let from = 0
  for (const { start, end } of cuts) {
    to += body.copy(skeleton, to, from, start)
    skeleton[to++] = PART_MARK_CODE
    for (const record of cutParts.get(start)!.records) to += record.copy(skeleton, to)
    from = end
  }
  body.copy(skeleton, to, from)
  return skeleton
}

/** A part as cut from its element: its id, and when the element had `cache_control` members, its bytes without them and their records. */
interface CutPart {
  id: string
  /** Null when the part is the element's bytes. */
  kept: Buffer | null
  records: readonly Buffer[]
}

/** What a later body's layout takes over from a body's: see earlierLayoutOf. */
interface Layout {
  /** Each part by the offset of the element it was cut from. */
  cutParts: Map<number, CutPart>
  partList: PartList | null
}

/** Each laid-out body's layout, for later bodies that resend most of it. */
const layouts = new WeakMap<Buffer, Layout>()
/** Large bodies laid out lately (see layOutBody). */
const recentlyLaidOut = new RecentBodies()

/**
 * The layout of the recently laid-out body `body` shares the most bytes with, if any: `partAt`
 * gives the part it cut from the same bytes as the element at `start` to `end` of `body`, if it
 * did. An element ending before the shared first bytes do (a number's end is settled by the byte
 * after it), or starting where the shared last bytes begin, is the same bytes there.
 */
function earlierLayoutOf(body: Buffer): { body: Buffer; partAt(start: number, end: number): CutPart | undefined; partList: PartList | null } | undefined {
  const shared = recentlyLaidOut.sharedWith(body)
  const layout = shared === null ? undefined : layouts.get(shared.earlier)
  if (layout === undefined) return undefined
  const { earlier, prefix, suffix } = shared!
  const shift = body.length - earlier.length
  const { cutParts, partList } = layout
  return { body: earlier, partAt: (start, end) => (end < prefix ? cutParts.get(start) : start >= body.length - suffix ? cutParts.get(start - shift) : undefined), partList }
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
