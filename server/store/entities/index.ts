import { CaptureRunEntity } from './capture-run.entity'
import { RequestEntity } from './request.entity'
import { StreamChunkEntity } from './stream-chunk.entity'

/** Every entity, listed explicitly (globs break under Vitest). */
export const entities = [RequestEntity, StreamChunkEntity, CaptureRunEntity]
export { CaptureRunEntity, RequestEntity, StreamChunkEntity }
