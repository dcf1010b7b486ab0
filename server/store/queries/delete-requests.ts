import type { DataSource, EntityManager } from 'typeorm'
import { REQUESTS_TABLE } from '../tables/requests.table'
import { STREAM_CHUNKS_TABLE } from '../tables/stream-chunks.table'
import { RATE_LIMIT_SNAPSHOTS_TABLE } from '../tables/rate-limit-snapshots.table'
import { CONVERSATION_REQUESTS_TABLE } from '../tables/conversations.table'
import { PROMPT_GRADES_TABLE } from '../tables/prompt-grades.table'
import { startedAtSpan } from './request-window'

/** The tables `deleteRequests` deletes rows from. */
export const REQUEST_TABLES = [REQUESTS_TABLE, STREAM_CHUNKS_TABLE, RATE_LIMIT_SNAPSHOTS_TABLE, CONVERSATION_REQUESTS_TABLE, PROMPT_GRADES_TABLE] as const

/** The tables holding rows of a request keyed by `request_id` alone, not partitioned: what dropping a week's partitions leaves to delete first. */
export const REQUEST_DEPENDENT_TABLES = [RATE_LIMIT_SNAPSHOTS_TABLE, CONVERSATION_REQUESTS_TABLE, PROMPT_GRADES_TABLE] as const

/** A request as a deletion names it: its id, and its start, which says the partition it is in. */
export interface RequestKey {
  id: string
  startedAt: Date
}

/**
 * Deletes the requests `keys` names with what is stored for them alone, their stream chunks,
 * rate-limit snapshots, place in a conversation and prompt grade (no foreign key ties these to
 * their request), in one statement, so no request is left half deleted. The range of their starts
 * bounds the partitioned tables, so only the partitions holding them are read.
 * The one place that knows a request's dependents: whatever deletes requests goes through it
 * (retention also drops whole weeks, see retention-store). The parts of their bodies stay in
 * `contents`, shared with other requests, until retention finds them unused. Returns how many
 * requests went.
 */
export async function deleteRequests(db: DataSource | EntityManager, keys: readonly RequestKey[]): Promise<number> {
  if (keys.length === 0) return 0
  const span = startedAtSpan(keys.map((key) => key.startedAt))
  const inRange = `started_at BETWEEN $2 AND $3`
  const rows = (await db.query(
    `WITH chunks AS (DELETE FROM ${STREAM_CHUNKS_TABLE} WHERE request_id = ANY($1::uuid[]) AND ${inRange}),
     ${dependentDeletions('$1')},
     gone AS (DELETE FROM ${REQUESTS_TABLE} WHERE id = ANY($1::uuid[]) AND ${inRange} RETURNING 1)
     SELECT count(*)::int AS deleted FROM gone`,
    [keys.map((key) => key.id), span.from, span.to],
  )) as Array<{ deleted: number }>
  return rows[0]!.deleted
}

/** WITH parts deleting the rows of REQUEST_DEPENDENT_TABLES whose request ids are in the uuid array `ids`. */
export function dependentDeletions(ids: string): string {
  return REQUEST_DEPENDENT_TABLES.map((table) => `${table}_gone AS (DELETE FROM ${table} WHERE request_id = ANY(${ids}::uuid[]))`).join(',\n     ')
}
