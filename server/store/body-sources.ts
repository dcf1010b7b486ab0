import { In, type DataSource, type EntityManager } from 'typeorm'
import { readContentRuns, readContentTexts } from './contents/content-texts'
import type { RequestEntity } from './entities/request.entity'
import { startedAtSpan, startedAtWithin } from './queries/request-window'
import { StreamChunkEntity } from './entities/stream-chunk.entity'
import { framedChunks, toStreamChunkRecords } from './tables/stream-chunks.table'

/**
 * What bodies stored in pieces are put back together from: runs of part ids by run id, parts by
 * content id, and SSE rebuilt from chunks by request id.
 */
export interface BodySources {
  runs: ReadonlyMap<string, readonly string[]>
  contents: ReadonlyMap<string, string>
  sse: ReadonlyMap<string, string>
}

/** The pieces the bodies of `rows` need, in three queries at most, whatever the number of rows. */
export async function readBodySources(db: DataSource | EntityManager, rows: ReadonlyArray<Pick<RequestEntity, 'id' | 'startedAt' | 'requestBodyContentRuns' | 'responseSseFromChunks'>>): Promise<BodySources> {
  const streamed = rows.filter((row) => row.responseSseFromChunks)
  const readContents = async () => {
    // A run or part missing is left for the assembly to report, with the body it breaks.
    const runs = await readContentRuns(db, rows.flatMap((row) => row.requestBodyContentRuns ?? []))
    return { runs, contents: await readContentTexts(db, [...runs.values()].flat()) }
  }
  const [{ runs, contents }, streams] = await Promise.all([
    readContents(),
    // The rows' starts bound the chunks' partitions (a chunk row has its request's start).
    streamed.length === 0 ? [] : db.getRepository(StreamChunkEntity).findBy({ requestId: In(streamed.map((row) => row.id)), ...startedAtWithin(startedAtSpan(streamed.map((row) => row.startedAt))) }),
  ])
  return { runs, contents, sse: new Map(streams.map((row) => [row.requestId, framedChunks(toStreamChunkRecords(row))])) }
}
