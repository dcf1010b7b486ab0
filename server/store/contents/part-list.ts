import { contentIdOf } from './content-id'

/** A list covers a body's first parts in whole runs of this many. */
export const PART_LIST_RUN = 32

/** The content ids of a body's first parts, stored once in `content_lists` under the hash of the ids. */
export interface PartList {
  id: string
  ids: string[]
}

/**
 * The list a row names for the first parts of its body: their ids, in whole runs of PART_LIST_RUN.
 * Each turn of a conversation resends every part of the turn before and adds a few, so its row
 * names the list it shares with the turns around it (a new one only every PART_LIST_RUN parts)
 * and holds the ids of its last parts alone: a row's size no longer grows with the conversation.
 * Null for a body of fewer parts.
 */
export function partListOf(contentIds: readonly string[]): PartList | null {
  const length = contentIds.length - (contentIds.length % PART_LIST_RUN)
  if (length === 0) return null
  const ids = contentIds.slice(0, length)
  return { id: contentIdOf(Buffer.from(ids.join(','))), ids }
}

/**
 * Every part id of a stored body, in order: its list's, then its row's own. Throws when the list
 * is missing, which only a damaged database causes: a body is never returned with parts left out.
 */
export function storedPartIds(listId: string | null, ownIds: readonly string[] | null, lists: ReadonlyMap<string, readonly string[]>): string[] | null {
  if (listId === null) return ownIds === null ? null : [...ownIds]
  const listed = lists.get(listId)
  if (listed === undefined) throw new Error(`A stored request body is missing its part list ${listId}: the content_lists table lost a row still in use`)
  return [...listed, ...(ownIds ?? [])]
}
