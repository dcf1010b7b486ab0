import { contentIdOf } from './content-id'

/** A list covers a body's first messages in whole runs of this many. */
export const PART_LIST_RUN = 32

/** The content ids of a body's first messages, stored once in `content_lists` under the hash of the ids. */
export interface PartList {
  id: string
  ids: string[]
  /** Where its ids go among the body's part ids: where its `messages` begin. */
  at: number
}

/**
 * The list a row names for the first messages of its body: their parts' ids, in whole runs of
 * PART_LIST_RUN. Each turn of a conversation resends every message of the turn before and adds a
 * few, so its row names the list it shares with the turns around it (a new one only every
 * PART_LIST_RUN messages) and holds the ids of its other parts alone: a row's size no longer grows
 * with the conversation. `messageIds` are the ids of the body's `messages`, which begin at `at`
 * among its part ids (Claude Code sends them before `system` and `tools`). Null for fewer messages.
 */
export function partListOf(messageIds: readonly string[], at: number): PartList | null {
  const length = messageIds.length - (messageIds.length % PART_LIST_RUN)
  if (length === 0) return null
  const ids = messageIds.slice(0, length)
  return { id: contentIdOf(Buffer.from(ids.join(','))), ids, at }
}

/** The ids a row holds itself: the body's part ids without its list's. */
export function ownPartIds(contentIds: readonly string[], list: PartList | null): readonly string[] {
  return list === null ? contentIds : [...contentIds.slice(0, list.at), ...contentIds.slice(list.at + list.ids.length)]
}

/**
 * SQL for every part id of a `requests` row `r` (the ids of its list `l` put back among its own),
 * for a statement that joins the row's list: the SQL twin of storedPartIds.
 */
export function partIdsSql(r: string, l: string): string {
  const own = `${r}.request_body_content_ids`
  return `CASE WHEN ${l}.ids IS NULL THEN ${own} ELSE ${own}[1:${r}.request_body_content_list_at] || ${l}.ids || ${own}[${r}.request_body_content_list_at + 1:] END`
}

/**
 * Every part id of a stored body, in order: its own, with its list's put back at `listAt`. Throws
 * when the list is missing, which only a damaged database causes: a body is never returned with
 * parts left out.
 */
export function storedPartIds(list: { id: string | null; at: number | null }, ownIds: readonly string[] | null, lists: ReadonlyMap<string, readonly string[]>): readonly string[] | null {
  if (list.id === null || ownIds === null) return ownIds
  const listed = lists.get(list.id)
  if (listed === undefined) throw new Error(`A stored request body is missing its part list ${list.id}: the content_lists table lost a row still in use`)
  const at = list.at ?? 0
  return [...ownIds.slice(0, at), ...listed, ...ownIds.slice(at)]
}
