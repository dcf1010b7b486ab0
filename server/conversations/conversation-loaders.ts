import DataLoader from 'dataloader'
import type { CacheForensicsService, PricedCacheMiss } from './cache-forensics.service'
import type { ConversationsService, ConversationSummary, MessageRow, ThreadSummary, TurnSummary } from './conversations.service'

/**
 * Per-operation batching of what conversations read lazily: a page of 50 requests asking for
 * their conversation, or a conversation's five threads asking for their messages, cost one query.
 * Not caching across operations: a subscription's context lives for hours.
 */
export interface ConversationLoaders {
  byRequest: DataLoader<string, ConversationSummary | null>
  threads: DataLoader<string, ThreadSummary[]>
  turns: DataLoader<string, TurnSummary[]>
  messages: DataLoader<string, MessageRow[]>
  contents: DataLoader<string, string | null>
  /** A conversation's cache misses by request id. */
  cacheMisses: DataLoader<string, Map<string, PricedCacheMiss>>
}

/** Calls `load` once per distinct key of a batch, in the batch's order. */
function distinct<V>(load: (keys: readonly string[]) => Promise<V[]>): (keys: readonly string[]) => Promise<V[]> {
  return async (keys) => {
    const unique = [...new Set(keys)]
    const values = await load(unique)
    const byKey = new Map(unique.map((key, i) => [key, values[i]!]))
    return keys.map((key) => byKey.get(key)!)
  }
}

export function createConversationLoaders(service: ConversationsService, forensics: CacheForensicsService): ConversationLoaders {
  return {
    byRequest: new DataLoader(
      distinct(async (requestIds) => {
        const conversationIds = await service.conversationIdsOf(requestIds)
        const found = [...new Set(conversationIds.filter((id): id is string => id !== null))]
        const conversations = new Map(found.map((id, i) => [id, i]))
        const summaries = await service.getMany(found)
        return conversationIds.map((id) => (id === null ? null : (summaries[conversations.get(id)!] ?? null)))
      }),
      { cache: false },
    ),
    threads: new DataLoader(distinct((ids) => Promise.all(ids.map((id) => service.threads(id)))), { cache: false }),
    turns: new DataLoader(distinct((ids) => Promise.all(ids.map((id) => service.turns(id)))), { cache: false }),
    messages: new DataLoader(
      distinct(async (threadIds) => {
        const rows = await service.messages(threadIds)
        return threadIds.map((id) => rows.filter((row) => row.threadId === id))
      }),
      { cache: false },
    ),
    contents: new DataLoader(distinct((ids) => service.contentTexts(ids)), { cache: false }),
    cacheMisses: new DataLoader(distinct((ids) => Promise.all(ids.map((id) => forensics.misses(id)))), { cache: false }),
  }
}
