import { CaptureRunEntity } from './capture-run.entity'
import { ContentEntity } from './content.entity'
import { RateLimitSnapshotEntity } from './rate-limit-snapshot.entity'
import { RequestEntity } from './request.entity'
import { StreamChunkEntity } from './stream-chunk.entity'

/** Every entity, listed explicitly (globs break under Vitest). */
export const entities = [RequestEntity, StreamChunkEntity, CaptureRunEntity, ContentEntity, RateLimitSnapshotEntity]
export { CaptureRunEntity, ContentEntity, RateLimitSnapshotEntity, RequestEntity, StreamChunkEntity }
