import { CaptureRunEntity } from './capture-run.entity'
import { ContentEntity, ContentListEntity } from './content.entity'
import { PromptGradeEntity } from './prompt-grade.entity'
import { HeaderRuleEntity } from './header-rule.entity'
import { RateLimitSnapshotEntity } from './rate-limit-snapshot.entity'
import { RequestEntity } from './request.entity'
import { SettingsChangeEntity } from './settings-change.entity'
import { StreamChunkEntity } from './stream-chunk.entity'

/** Every entity, listed explicitly (globs break under Vitest). */
export const entities = [RequestEntity, StreamChunkEntity, CaptureRunEntity, ContentEntity, ContentListEntity, RateLimitSnapshotEntity, HeaderRuleEntity, SettingsChangeEntity, PromptGradeEntity]
export { CaptureRunEntity, ContentEntity, ContentListEntity, HeaderRuleEntity, PromptGradeEntity, RateLimitSnapshotEntity, RequestEntity, SettingsChangeEntity, StreamChunkEntity }
