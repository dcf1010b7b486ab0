import { CaptureRunEntity } from './capture-run.entity'
import { ContentEntity } from './content.entity'
import { PromptGradeEntity } from './prompt-grade.entity'
import { RequestEntity } from './request.entity'
import { StreamChunkEntity } from './stream-chunk.entity'

/** Every entity, listed explicitly (globs break under Vitest). */
export const entities = [RequestEntity, StreamChunkEntity, CaptureRunEntity, ContentEntity, PromptGradeEntity]
export { CaptureRunEntity, ContentEntity, PromptGradeEntity, RequestEntity, StreamChunkEntity }
