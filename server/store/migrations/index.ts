import type { MigrationInterface } from 'typeorm'
import { CreateRequests1795588273908 } from './1795588273908-create-requests'
import { CompressBodiesWithLz41795603974996 } from './1795603974996-compress-bodies-with-lz4'
import { TrackCaptureRuns1796161645015 } from './1796161645015-track-capture-runs'
import { MarkDemotedRequests1796500000000 } from './1796500000000-mark-demoted-requests'
import { StoreBodyPartsOnce1796700000000 } from './1796700000000-store-body-parts-once'
import { KeepStreamChunksPerResponse1796800000000 } from './1796800000000-keep-stream-chunks-per-response'
import { GroupRequestsIntoConversations1796900000000 } from './1796900000000-group-requests-into-conversations'
import { PriceRequestsAndRollUpUsage1797000000000 } from './1797000000000-price-requests-and-roll-up-usage'
import { RecordRateLimitSnapshots1797100000000 } from './1797100000000-record-rate-limit-snapshots'
import { KeepHeaderRulesAndSettingsChanges1797200000000 } from './1797200000000-keep-header-rules-and-settings-changes'
import { GradePrompts1797300000000 } from './1797300000000-grade-prompts'
import { MarkTranslatedRequests1797400000000 } from './1797400000000-mark-translated-requests'
import { ImportTranscriptsAndTotalCosts1797550000000 } from './1797550000000-import-transcripts-and-total-costs'
import { RollUpUsageByHourAndIndexBodySearch1797600000000 } from './1797600000000-roll-up-usage-by-hour-and-index-body-search'
import { ReceiveClaudeCodeTelemetry1797700000000 } from './1797700000000-receive-claude-code-telemetry'
import { PartitionRequestsByWeek1797900000000 } from './1797900000000-partition-requests-by-week'
import { SharePartLists1798000000000 } from './1798000000000-share-part-lists'
import { IndexBodyPartsByTrigramBuckets1798100000000 } from './1798100000000-index-body-parts-by-trigram-buckets'
import { ListAllPartsButTheNewestMessages1798200000000 } from './1798200000000-list-all-parts-but-the-newest-messages'
import { KeepConversationTotalsByTrigger1798300000000 } from './1798300000000-keep-conversation-totals-by-trigger'
import { LeaveBase64PayloadsOutOfBodySearch1798400000000 } from './1798400000000-leave-base64-payloads-out-of-body-search'
import { KeepSearchKeysPerPart1798500000000 } from './1798500000000-keep-search-keys-per-part'

/**
 * Every migration, oldest first, listed explicitly: TypeORM's glob loading uses Node's own
 * `require`, which cannot load .ts under Vitest. Add each generated class here; never edit one
 * that has landed.
 */
export const migrations: Array<new () => MigrationInterface> = [CreateRequests1795588273908, CompressBodiesWithLz41795603974996, TrackCaptureRuns1796161645015, MarkDemotedRequests1796500000000, StoreBodyPartsOnce1796700000000, KeepStreamChunksPerResponse1796800000000, GroupRequestsIntoConversations1796900000000, PriceRequestsAndRollUpUsage1797000000000, RecordRateLimitSnapshots1797100000000, KeepHeaderRulesAndSettingsChanges1797200000000, GradePrompts1797300000000, MarkTranslatedRequests1797400000000, ImportTranscriptsAndTotalCosts1797550000000, RollUpUsageByHourAndIndexBodySearch1797600000000, ReceiveClaudeCodeTelemetry1797700000000, PartitionRequestsByWeek1797900000000, SharePartLists1798000000000, IndexBodyPartsByTrigramBuckets1798100000000, ListAllPartsButTheNewestMessages1798200000000, KeepConversationTotalsByTrigger1798300000000, LeaveBase64PayloadsOutOfBodySearch1798400000000, KeepSearchKeysPerPart1798500000000]
