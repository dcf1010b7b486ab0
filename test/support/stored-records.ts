import type { DataSource } from 'typeorm'
import { chunkList, type CaptureOp } from '../../server/records/capture-op'
import type { RequestRecord, StreamChunkRecord } from '../../server/records/request-record'
import { createCaptureStore } from '../../server/store/capture-store'
import { assembleBody } from '../../server/store/contents/body-layout'
import { readBodySources } from '../../server/store/body-sources'
import { storedPartIds } from '../../server/store/contents/part-list'

/**
 * Writes records (and their chunks) through the store's own write path, as capture would have:
 * each record as a completion carrying the chunks of its id, whatever its status. Every chunk must
 * belong to one of the records.
 */
export async function storeRecords(dataSource: DataSource, records: RequestRecord[], chunks: StreamChunkRecord[] = []): Promise<void> {
  const chunksOf = new Map<string, StreamChunkRecord[]>(records.map((record) => [record.id, []]))
  for (const chunk of chunks) {
    const ofRecord = chunksOf.get(chunk.requestId)
    if (ofRecord === undefined) throw new Error(`chunk ${chunk.seq} belongs to ${chunk.requestId}, which is not among the records stored`)
    ofRecord.push(chunk)
  }
  const ops: CaptureOp[] = records.map((record) => ({ kind: 'complete', record, chunks: chunkList(chunksOf.get(record.id)!) }))
  await createCaptureStore(dataSource).writeBatch(ops, () => false)
}

/** The parts of a raw `requests` row (read with `SELECT *`) that say how its bodies are stored. */
export interface StoredBodyColumns {
  id: string
  started_at: Date
  request_body: string
  request_body_content_ids: string[] | null
  request_body_content_list_id: string | null
  request_body_content_list_at: number | null
  request_body_own_ids_at: number | null
  response_sse: string | null
  response_sse_from_chunks: boolean
}

/**
 * A raw `requests` row with its bodies whole again: `request_body` with its parts read back from
 * `contents`, `response_sse` rebuilt from its stream chunks where it was stored as them. What a
 * test reading the table directly compares with what was sent.
 */
export async function withWholeBodies<T extends StoredBodyColumns>(dataSource: DataSource, row: T): Promise<T> {
  const sources = await readBodySources(dataSource, [
    { id: row.id, startedAt: row.started_at, requestBodyContentIds: row.request_body_content_ids, requestBodyContentListId: row.request_body_content_list_id, responseSseFromChunks: row.response_sse_from_chunks },
  ])
  return {
    ...row,
    request_body: assembleBody(row.request_body, storedPartIds({ id: row.request_body_content_list_id, listAt: row.request_body_content_list_at, ownAt: row.request_body_own_ids_at }, row.request_body_content_ids, sources.lists), sources.contents),
    response_sse: row.response_sse_from_chunks ? (sources.sse.get(row.id) ?? null) : row.response_sse,
  }
}

/** The stream chunks of a request as rows, one per event in seq order, read from the table directly. */
export async function storedChunkRows(dataSource: DataSource, requestId: string): Promise<Array<{ seq: number; event: string | null; data: string; offset_ms: number; bytes: number }>> {
  return dataSource.query(
    `SELECT (e.seq - 1)::int AS seq, e.event, e.data, e.offset_ms, e.bytes
     FROM stream_chunks s, unnest(s.events, s.data, s.offsets_ms, s.bytes) WITH ORDINALITY AS e (event, data, offset_ms, bytes, seq)
     WHERE s.request_id = $1 ORDER BY e.seq`,
    [requestId],
  )
}

/**
 * Moves stored records `days` days back, as if captured then: their `started_at` and
 * `completed_at`, and the `last_used_at` of every content their bodies use (a part last written
 * that long ago). Store newer records sharing parts afterwards: their writes refresh those parts,
 * as capture's would.
 */
export async function backdateRecords(dataSource: DataSource, ids: readonly string[], days: number): Promise<void> {
  const back = `make_interval(days => $2)`
  await dataSource.query(
    `UPDATE contents SET last_used_at = now() - ${back} WHERE id IN (SELECT unnest(coalesce(l.ids, '{}') || r.request_body_content_ids) FROM requests r LEFT JOIN content_lists l ON l.id = r.request_body_content_list_id WHERE r.id = ANY($1::uuid[]))`,
    [ids, days],
  )
  await dataSource.query(`UPDATE content_lists SET last_used_at = now() - ${back} WHERE id IN (SELECT request_body_content_list_id FROM requests WHERE id = ANY($1::uuid[]))`, [ids, days])
  await dataSource.query(`UPDATE requests SET started_at = started_at - ${back}, completed_at = completed_at - ${back} WHERE id = ANY($1::uuid[])`, [ids, days])
  // A chunk row holds its request's start (the partition key): moved with it.
  await dataSource.query(`UPDATE stream_chunks SET started_at = started_at - ${back} WHERE request_id = ANY($1::uuid[])`, [ids, days])
}
