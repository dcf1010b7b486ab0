import { contentIdOf } from './content-id'

/**
 * How many content ids one run holds. A body's list of part ids is cut at fixed positions, so the
 * list of the next turn of a conversation, which repeats the list and adds to its end, shares
 * every full run before the first part that changed.
 */
export const RUN_LENGTH = 16

/** Consecutive content ids of a body, stored once under the hash of the ids. */
export interface ContentRun {
  id: string
  contentIds: string[]
}

/**
 * `contentIds` cut into runs of RUN_LENGTH (the last may be shorter). A request row lists its
 * runs instead of its parts: a session's rows then grow with what each turn adds, where lists of
 * parts grow with the whole history on every turn. A run's id is the content id of its ids'
 * 16-byte forms, one after the other (what the migration computes in SQL as well).
 */
export function runsOf(contentIds: readonly string[]): ContentRun[] {
  const runs: ContentRun[] = []
  for (let at = 0; at < contentIds.length; at += RUN_LENGTH) {
    const ids = contentIds.slice(at, at + RUN_LENGTH)
    runs.push({ id: contentIdOf(Buffer.from(ids.join('').replaceAll('-', ''), 'hex')), contentIds: ids })
  }
  return runs
}

/**
 * The content ids a row's runs stand for, in order. Throws when a run is missing, which only a
 * damaged database causes: a body is never returned with parts left out.
 */
export function contentIdsOfRuns(runIds: readonly string[], runs: ReadonlyMap<string, readonly string[]>): string[] {
  const ids: string[] = []
  for (const runId of runIds) {
    const run = runs.get(runId)
    if (run === undefined) throw new Error(`A stored request body is missing its run of parts ${runId}: the content_runs table lost a row still in use`)
    ids.push(...run)
  }
  return ids
}
