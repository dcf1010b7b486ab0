import type { DataSource } from 'typeorm'
import type { RequestRecord, StreamChunkRecord } from '../../server/records/request-record'
import { RequestEntity, StreamChunkEntity } from '../../server/store/entities'

/** Writes records (and chunks) straight into the tables, as the capture writer would have. */
export async function storeRequests(dataSource: DataSource, records: RequestRecord[], chunks: StreamChunkRecord[] = []): Promise<void> {
  if (records.length > 0) await dataSource.getRepository(RequestEntity).insert(records.map(toRow))
  if (chunks.length > 0) await dataSource.getRepository(StreamChunkEntity).insert(chunks)
}

function toRow(record: RequestRecord): RequestEntity {
  const { usage, ...rest } = record
  return Object.assign(new RequestEntity(), rest, {
    inputTokens: usage?.inputTokens ?? null,
    outputTokens: usage?.outputTokens ?? null,
    cacheCreationInputTokens: usage?.cacheCreationInputTokens ?? null,
    cacheCreation5mInputTokens: usage?.cacheCreation5mInputTokens ?? null,
    cacheCreation1hInputTokens: usage?.cacheCreation1hInputTokens ?? null,
    cacheReadInputTokens: usage?.cacheReadInputTokens ?? null,
    thinkingTokens: usage?.thinkingTokens ?? null,
    webSearchRequests: usage?.webSearchRequests ?? null,
    webFetchRequests: usage?.webFetchRequests ?? null,
    serviceTier: usage?.serviceTier ?? null,
  })
}
