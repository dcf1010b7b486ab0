import { contentIdOf } from './content-id'

/** A list covers a body's first messages in whole runs of this many. */
export const PART_LIST_RUN = 32

/** A list holds at least this many ids: one id named through a list saves a row nothing. */
const PART_LIST_MIN = 2

/**
 * The ids of a body's parts but its newest messages, stored once in `content_lists` under the hash
 * of the ids.
 */
export interface PartList {
  id: string
  ids: string[]
  /** Where the row's own ids (its newest messages) go among the list's. */
  ownAt: number
}

/**
 * The list a row names for its body's parts: all of them but its newest messages, those past the
 * last whole run of PART_LIST_RUN. Claude Code resends the same system prompt and tools and every
 * message of the turn before on each turn, so the turns of a conversation share a list (a new one
 * only every PART_LIST_RUN messages, and one list for the same prefix of every conversation that
 * has few) and a row holds the ids of its newest messages alone: its size grows neither with the
 * conversation nor with the tools. `messages` is where the body's `messages` lie among its part
 * ids, null when it has none. Null when the list would hold fewer than PART_LIST_MIN ids.
 * `earlier` is the list of an earlier turn: when it lists the same ids, its id is not hashed again.
 */
export function partListOf(contentIds: readonly string[], messages: { start: number; end: number } | null, earlier: PartList | null = null): PartList | null {
  const ownEnd = messages?.end ?? contentIds.length
  const ownAt = messages === null ? ownEnd : ownEnd - ((messages.end - messages.start) % PART_LIST_RUN)
  const ids = [...contentIds.slice(0, ownAt), ...contentIds.slice(ownEnd)]
  if (ids.length < PART_LIST_MIN) return null
  const id = earlier !== null && sameIds(ids, earlier.ids) ? earlier.id : contentIdOf(Buffer.from(ids.join(',')))
  return { id, ids, ownAt }
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i])
}

/** The ids a row holds itself: the body's part ids without its list's. */
export function ownPartIds(contentIds: readonly string[], list: PartList | null): readonly string[] {
  return list === null ? contentIds : contentIds.slice(list.ownAt, list.ownAt + contentIds.length - list.ids.length)
}

/**
 * Where a row's list goes: `ownAt` for rows stored since lists hold every part but the newest
 * messages (the row's own ids go there among the list's), else `listAt`, for rows whose list holds
 * their first messages alone (the list's ids go there among the row's own).
 */
export interface ListPlacement {
  id: string | null
  listAt: number | null
  ownAt: number | null
}

/**
 * SQL for every part id of a `requests` row `r` (its own ids and its list `l`'s put together, see
 * ListPlacement), for a statement that joins the row's list: the SQL twin of storedPartIds.
 */
export function partIdsSql(r: string, l: string): string {
  const own = `${r}.request_body_content_ids`
  const ownAt = `${r}.request_body_own_ids_at`
  const listAt = `${r}.request_body_content_list_at`
  return `CASE WHEN ${l}.ids IS NULL THEN ${own} WHEN ${ownAt} IS NOT NULL THEN ${l}.ids[1:${ownAt}] || ${own} || ${l}.ids[${ownAt} + 1:] ELSE ${own}[1:${listAt}] || ${l}.ids || ${own}[${listAt} + 1:] END`
}

/**
 * Every part id of a stored body, in order: its own and its list's put together (see
 * ListPlacement). Throws when the list is missing, which only a damaged database causes: a body is
 * never returned with parts left out.
 */
export function storedPartIds(list: ListPlacement, ownIds: readonly string[] | null, lists: ReadonlyMap<string, readonly string[]>): readonly string[] | null {
  if (list.id === null || ownIds === null) return ownIds
  const listed = lists.get(list.id)
  if (listed === undefined) throw new Error(`A stored request body is missing its part list ${list.id}: the content_lists table lost a row still in use`)
  if (list.ownAt !== null) return [...listed.slice(0, list.ownAt), ...ownIds, ...listed.slice(list.ownAt)]
  const at = list.listAt ?? 0
  return [...ownIds.slice(0, at), ...listed, ...ownIds.slice(at)]
}
