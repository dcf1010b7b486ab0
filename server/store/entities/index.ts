import { CaptureRunEntity } from './capture-run.entity'
import { ContentEntity } from './content.entity'
import { HeaderRuleEntity } from './header-rule.entity'
import { RequestEntity } from './request.entity'
import { SettingsChangeEntity } from './settings-change.entity'
import { StreamChunkEntity } from './stream-chunk.entity'

/** Every entity, listed explicitly (globs break under Vitest). */
export const entities = [RequestEntity, StreamChunkEntity, CaptureRunEntity, ContentEntity, HeaderRuleEntity, SettingsChangeEntity]
export { CaptureRunEntity, ContentEntity, HeaderRuleEntity, RequestEntity, SettingsChangeEntity, StreamChunkEntity }
