import type { Ref } from 'vue'
import { CONVERSATION_UPDATED, CONVERSATIONS_PAGE, type ConversationFilter, type ConversationSummary } from '../graphql/conversation-documents'
import { usePagedList, type PagedList } from './use-paged-list'

/** Most recently active first. */
export type ConversationList = PagedList<ConversationSummary>

/**
 * The conversations matching `filter`, a page at a time, kept live: a conversation with a new
 * turn moves to the top with its new totals, and a new one appears there when it matches.
 */
export function useConversationList(filter: Ref<ConversationFilter>, options: { pageSize?: number } = {}): ConversationList {
  const { items, state, error, totalCount, loadMore, reload } = usePagedList(
    filter,
    {
      what: 'conversation list',
      async fetchPage(client, value, first, after) {
        const result = await client.query(CONVERSATIONS_PAGE, { filter: value, first, after }, { requestPolicy: 'network-only' }).toPromise()
        return { page: result.data?.conversations ?? null, error: result.error }
      },
      mergePage(rows, page) {
        const loaded = new Set(rows.map((row) => row.id))
        return [...rows, ...page.filter((node) => !loaded.has(node.id))]
      },
      follow(client, value, list) {
        return client.subscription(CONVERSATION_UPDATED, {}).subscribe((result) => {
          const updated = result.data?.conversationUpdated
          if (!updated) return
          const rest = list.items.value.filter((row) => row.id !== updated.id)
          if (rest.length === list.items.value.length) {
            if (!matches(updated, value)) return
            if (list.totalCount.value !== null) list.totalCount.value++
          }
          list.items.value = [updated, ...rest]
        })
      },
    },
    options,
  )
  return { items, state, error, totalCount, loadMore, reload }
}

/** The filter as the server applies it, for conversations that arrive live. */
function matches(conversation: ConversationSummary, filter: ConversationFilter): boolean {
  const search = filter.search?.trim().toLowerCase()
  if (search && !(conversation.title ?? '').toLowerCase().includes(search)) return false
  if (filter.models?.length && !conversation.models.some((model) => filter.models!.includes(model))) return false
  if (filter.sessionId && conversation.sessionId !== filter.sessionId) return false
  return true
}
