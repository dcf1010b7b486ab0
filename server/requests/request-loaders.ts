import DataLoader from 'dataloader'
import type { StreamChunkRecord } from '../records/request-record'
import type { LiveBus } from '../live/live-bus'
import type { RequestBodies, RequestSource } from './request-row'
import type { RequestsService } from './requests.service'

/**
 * Per-operation batching of what a page of requests reads lazily: asking for the bodies or chunks
 * of 50 nodes costs one query, not 50. Not caching: a subscription's context lives for hours.
 */
export interface RequestLoaders {
  bodies: DataLoader<string, RequestBodies | null>
  chunks: DataLoader<string, StreamChunkRecord[]>
}

export function createRequestLoaders(requests: RequestsService): RequestLoaders {
  return {
    bodies: new DataLoader((ids) => requests.bodiesOf(ids), { cache: false }),
    chunks: new DataLoader((ids) => requests.chunksOf(ids), { cache: false }),
  }
}

/** The bodies of a request: already on a full record, else loaded with the rest of the page. */
export async function bodiesOf(request: RequestSource, loaders: RequestLoaders): Promise<Partial<RequestBodies>> {
  if (request.requestBody !== undefined) return request
  return (await loaders.bodies.load(request.id)) ?? {}
}

/** Chunks from the live bus while it holds them (in flight or just ended), else from the store. */
export async function chunksOf(request: RequestSource, bus: LiveBus, loaders: RequestLoaders): Promise<StreamChunkRecord[]> {
  return bus.chunksSoFar(request.id) ?? loaders.chunks.load(request.id)
}

/** A body as JSON when it parses, else the text itself (bodies are forwarded even when invalid). */
export function parseBody(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return null
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
