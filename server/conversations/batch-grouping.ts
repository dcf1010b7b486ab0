import type { DataSource } from 'typeorm'
import type { LiveBus } from '../live/live-bus'
import type { Logger } from '../logger'
import type { CaptureStoreOptions } from '../store/capture-store'
import { readConversationThreads, readSessionlessConversationIds } from '../store/queries/conversation-threads'
import { ConversationGrouper, type GrouperOptions } from './grouper'

export interface BatchGroupingOptions extends GrouperOptions {
  /** Where threads stored before a restart are read from. */
  dataSource: DataSource
  bus: LiveBus
  logger: Logger
}

/** How often a run of grouping failures is logged. */
const FAILURE_LOG_INTERVAL_MS = 10_000

/**
 * The capture store's grouping hooks: one grouper for the process, run by the writer on each
 * batch (after reading the stored threads of conversations it has not met since start), and a live
 * `conversation` event per conversation a committed batch changed. A grouping failure (a bug,
 * never the data's fault) leaves the batch's requests ungrouped and is logged: the requests
 * themselves are always written. A failure to read stored threads is the database's: it fails the
 * batch, which the writer retries like any other write.
 */
export function createBatchGrouping(options: BatchGroupingOptions): Required<CaptureStoreOptions> & { grouper: ConversationGrouper } {
  const { bus, logger, dataSource } = options
  const grouper = new ConversationGrouper(options)
  let lastFailureLogAt = Number.NEGATIVE_INFINITY
  return {
    grouper,
    group: async (ops, isStartStored) => {
      const missing = grouper.storedToLoad(ops, isStartStored)
      if (missing.conversationIds.length > 0 || missing.firstMessageKeys.length > 0) {
        const sessionless = await readSessionlessConversationIds(dataSource, missing.firstMessageKeys)
        grouper.restore(await readConversationThreads(dataSource, [...missing.conversationIds, ...sessionless]), { conversationIds: [...missing.conversationIds, ...sessionless], firstMessageKeys: missing.firstMessageKeys })
      }
      try {
        return grouper.groupBatch(ops, isStartStored)
      } catch (err) {
        if (Date.now() - lastFailureLogAt > FAILURE_LOG_INTERVAL_MS) {
          lastFailureLogAt = Date.now()
          logger.error({ err, batchSize: ops.length }, 'grouping requests into conversations failed; the batch is stored ungrouped')
        }
        return null
      }
    },
    onConversationsChanged: (ids) => {
      for (const conversationId of ids) bus.publish({ kind: 'conversation', conversationId })
    },
  }
}
