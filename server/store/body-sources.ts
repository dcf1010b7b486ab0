import { In, type DataSource, type EntityManager } from 'typeorm'
import { readContentLists, readContentTexts } from './contents/content-texts'
import type { RequestEntity } from './entities/request.entity'
import { startedAtSpan, startedAtWithin } from './queries/request-window'
import { StreamChunkEntity } from './entities/stream-chunk.entity'
import { framedChunks, toStreamChunkRecords } from './tables/stream-chunks.table'

/**
 * What bodies stored in pieces are put back together from: lists of part ids by list id, parts by
 * content id, and SSE rebuilt from chunks by request id.
 */
export interface BodySources {
  lists: ReadonlyMap<string, readonly string[]>
  contents: ReadonlyMap<string, string>
  sse: ReadonlyMap<string, string>
}

/** The pieces the bodies of `rows` need, in three queries at most, whatever the number of rows. */
export async function readBodySources(
  db: DataSource | EntityManager,
  rows: ReadonlyArray<Pick<RequestEntity, 'id' | 'startedAt' | 'requestBodyContentIds' | 'requestBodyContentListId' | 'responseSseFromChunks'>>,
): Promise<BodySources> {
  const streamed = rows.filter((row) => row.responseSseFromChunks)
  const lists = await readContentLists(db, rows.flatMap((row) => row.requestBodyContentListId ?? []))
  const [contents, streams] = await Promise.all([
    readContentTexts(db, [...[...lists.values()].flat(), ...rows.flatMap((row) => row.requestBodyContentIds ?? [])]),
    // The rows' starts bound the chunks' partitions (a chunk row has its request's start).
    streamed.length === 0 ? [] : db.getRepository(StreamChunkEntity).findBy({ requestId: In(streamed.map((row) => row.id)), ...startedAtWithin(startedAtSpan(streamed.map((row) => row.startedAt))) }),
  ])
  return { lists, contents, sse: new Map(streams.map((row) => [row.requestId, framedChunks(toStreamChunkRecords(row))])) }
}
