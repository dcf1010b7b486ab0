import { onScopeDispose, ref, shallowRef, watch, type Ref, type ShallowRef } from 'vue'
import { useGraphQLClient } from '../graphql/client'
import { CONVERSATION_UPDATED, CONVERSATIONS_PAGE, type ConversationFilter, type ConversationSummary } from '../graphql/conversation-documents'
import type { ListState } from './use-request-list'

export interface ConversationList {
  /** Most recently active first. Replaced, never mutated, on every change. */
  items: Readonly<ShallowRef<readonly ConversationSummary[]>>
  /** `idle`: more pages may follow; `done`: every matching conversation is loaded. */
  state: Readonly<Ref<ListState>>
  error: Readonly<ShallowRef<Error | null>>
  /** Matching conversations on the server, loaded or not; null until the first page arrives. */
  totalCount: Readonly<Ref<number | null>>
  /** Fetches the next page; does nothing while one loads or when all are in; after an error it retries. */
  loadMore(): Promise<void>
}

/**
 * The conversations matching `filter`, a page at a time, kept live: a conversation with a new
 * turn moves to the top with its new totals, and a new one appears there when it matches. A change
 * of filter or of client (a new token) starts over.
 */
export function useConversationList(filter: Ref<ConversationFilter>, options: { pageSize?: number } = {}): ConversationList {
  const client = useGraphQLClient()
  const pageSize = options.pageSize ?? 50
  const items = shallowRef<readonly ConversationSummary[]>([])
  const state = ref<ListState>('idle')
  const error = shallowRef<Error | null>(null)
  const totalCount = ref<number | null>(null)
  let endCursor: string | null = null
  /** Bumped by every restart, so a page that arrives for an older filter or client is dropped. */
  let generation = 0
  let live: { unsubscribe(): void } | null = null

  async function loadMore(): Promise<void> {
    if (state.value === 'loading' || state.value === 'done') return
    const started = generation
    state.value = 'loading'
    const result = await client.value.query(CONVERSATIONS_PAGE, { filter: filter.value, first: pageSize, after: endCursor }, { requestPolicy: 'network-only' }).toPromise()
    if (started !== generation) return
    if (!result.data) {
      error.value = result.error ?? new Error('The server returned no data for the conversation list')
      state.value = 'error'
      return
    }
    const page = result.data.conversations
    const loaded = new Set(items.value.map((row) => row.id))
    items.value = [...items.value, ...page.nodes.filter((node) => !loaded.has(node.id))]
    totalCount.value = page.totalCount
    endCursor = page.pageInfo.endCursor
    error.value = null
    state.value = page.pageInfo.hasNextPage ? 'idle' : 'done'
  }

  function follow(): void {
    live?.unsubscribe()
    live = client.value.subscription(CONVERSATION_UPDATED, {}).subscribe((result) => {
      const updated = result.data?.conversationUpdated
      if (!updated) return
      const rest = items.value.filter((row) => row.id !== updated.id)
      if (rest.length === items.value.length) {
        if (!matches(updated, filter.value)) return
        if (totalCount.value !== null) totalCount.value++
      }
      items.value = [updated, ...rest]
    })
  }

  function restart(): void {
    generation++
    items.value = []
    state.value = 'idle'
    error.value = null
    totalCount.value = null
    endCursor = null
    follow()
    void loadMore()
  }

  watch(filter, restart, { deep: true })
  watch(client, restart)
  restart()
  onScopeDispose(() => live?.unsubscribe())

  return { items, state, error, totalCount, loadMore }
}

/** The filter as the server applies it, for conversations that arrive live. */
function matches(conversation: ConversationSummary, filter: ConversationFilter): boolean {
  const search = filter.search?.trim().toLowerCase()
  if (search && !(conversation.title ?? '').toLowerCase().includes(search)) return false
  if (filter.models?.length && !conversation.models.some((model) => filter.models!.includes(model))) return false
  if (filter.sessionId && conversation.sessionId !== filter.sessionId) return false
  return true
}
