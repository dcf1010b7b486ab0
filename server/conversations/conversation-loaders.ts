import DataLoader from 'dataloader'
import type { CacheForensicsService, PricedCacheMiss } from './cache-forensics.service'
import type { ConversationsService, ConversationSummary, MessageRow, ThreadSummary, TurnSummary } from './conversations.service'

/** The parts of a conversation an operation asks for. */
export interface ConversationParts {
  threads: boolean
  turns: boolean
  messages: boolean
}

interface Prefetched {
  threads?: Promise<ThreadSummary[]>
  turns?: Promise<TurnSummary[]>
  messages?: Promise<Map<string, MessageRow[]>>
}

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
  /**
   * Starts reading the parts of a conversation the operation will ask for, all at once, instead
   * of level by level as the fields resolve (its row, then threads and turns, then messages).
   */
  prefetch(conversationId: string, parts: ConversationParts): void
  threadsOf(conversationId: string): Promise<ThreadSummary[]>
  turnsOf(conversationId: string): Promise<TurnSummary[]>
  messagesOf(thread: Pick<ThreadSummary, 'id' | 'conversationId'>): Promise<MessageRow[]>
}

/** Calls `load` once per distinct key of a batch, in the batch's order. */
export function distinct<V>(load: (keys: readonly string[]) => Promise<V[]>): (keys: readonly string[]) => Promise<V[]> {
  return async (keys) => {
    const unique = [...new Set(keys)]
    const values = await load(unique)
    const byKey = new Map(unique.map((key, i) => [key, values[i]!]))
    return keys.map((key) => byKey.get(key)!)
  }
}

export function createConversationLoaders(service: ConversationsService, forensics: CacheForensicsService): ConversationLoaders {
  const prefetched = new Map<string, Prefetched>()
  const loaders = {
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
        const rows = byThread(await service.messages(threadIds))
        return threadIds.map((id) => rows.get(id) ?? [])
      }),
      { cache: false },
    ),
    contents: new DataLoader(distinct((ids) => service.contentTexts(ids)), { cache: false }),
    cacheMisses: new DataLoader(distinct((ids) => Promise.all(ids.map((id) => forensics.misses(id)))), { cache: false }),
  }
  return {
    ...loaders,
    prefetch(conversationId, parts) {
      const entry: Prefetched = {}
      if (parts.threads) entry.threads = loaders.threads.load(conversationId)
      if (parts.turns) entry.turns = loaders.turns.load(conversationId)
      if (parts.messages) entry.messages = service.conversationMessages(conversationId).then(byThread)
      // A failure surfaces where the part is read; never as an unhandled rejection meanwhile.
      for (const part of Object.values(entry) as Promise<unknown>[]) part.catch(() => undefined)
      prefetched.set(conversationId, entry)
    },
    threadsOf: (conversationId) => prefetched.get(conversationId)?.threads ?? loaders.threads.load(conversationId),
    turnsOf: (conversationId) => prefetched.get(conversationId)?.turns ?? loaders.turns.load(conversationId),
    async messagesOf(thread) {
      const all = prefetched.get(thread.conversationId)?.messages
      return all === undefined ? loaders.messages.load(thread.id) : ((await all).get(thread.id) ?? [])
    },
  }
}

function byThread(rows: readonly MessageRow[]): Map<string, MessageRow[]> {
  const map = new Map<string, MessageRow[]>()
  for (const row of rows) {
    const list = map.get(row.threadId)
    if (list === undefined) map.set(row.threadId, [row])
    else list.push(row)
  }
  return map
}
