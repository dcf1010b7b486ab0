import type { DataSource, EntityManager } from 'typeorm'
import { REQUESTS_TABLE } from '../tables/requests.table'
import { STREAM_CHUNKS_TABLE } from '../tables/stream-chunks.table'
import { RATE_LIMIT_SNAPSHOTS_TABLE } from '../tables/rate-limit-snapshots.table'
import { CONVERSATION_REQUESTS_TABLE } from '../tables/conversations.table'

/** The tables `deleteRequests` deletes rows from. */
export const REQUEST_TABLES = [REQUESTS_TABLE, STREAM_CHUNKS_TABLE, RATE_LIMIT_SNAPSHOTS_TABLE, CONVERSATION_REQUESTS_TABLE] as const

/**
 * Deletes the requests `ids` names with what is stored for them alone, their stream chunks,
 * rate-limit snapshots and place in a conversation (no foreign key ties these to their request), in one statement, so no request is left half deleted.
 * The one place that knows a request's dependents: whatever deletes requests goes through it. The
 * parts of their bodies stay in `contents`, shared with other requests, until retention finds them
 * unused. Returns how many requests went.
 */
export async function deleteRequests(db: DataSource | EntityManager, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0
  const rows = (await db.query(
    `WITH chunks AS (DELETE FROM ${STREAM_CHUNKS_TABLE} WHERE request_id = ANY($1::uuid[])),
     snapshots AS (DELETE FROM ${RATE_LIMIT_SNAPSHOTS_TABLE} WHERE request_id = ANY($1::uuid[])),
     places AS (DELETE FROM ${CONVERSATION_REQUESTS_TABLE} WHERE request_id = ANY($1::uuid[])),
     gone AS (DELETE FROM ${REQUESTS_TABLE} WHERE id = ANY($1::uuid[]) RETURNING 1)
     SELECT count(*)::int AS deleted FROM gone`,
    [ids],
  )) as Array<{ deleted: number }>
  return rows[0]!.deleted
}
