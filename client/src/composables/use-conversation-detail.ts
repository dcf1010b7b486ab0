import { useQuery } from '@urql/vue'
import { computed, onScopeDispose, watch, type Ref } from 'vue'
import { useGraphQLClient } from '../graphql/client'
import { CONVERSATION_DETAIL, CONVERSATION_UPDATED, type ConversationDetail } from '../graphql/conversation-documents'

export interface ConversationDetailState {
  /** The conversation, or null while loading, after an error, or when none has this id. */
  conversation: Readonly<Ref<ConversationDetail | null>>
  /** True until the first answer (also when it failed). */
  loading: Readonly<Ref<boolean>>
  error: Readonly<Ref<Error | null>>
  /** True once the server answered that no conversation has this id. */
  missing: Readonly<Ref<boolean>>
}

/**
 * One conversation with its threads and turns, fetched again each time the server says it has new
 * turns (conversationUpdated for its id), so an ongoing session grows on the page as it happens.
 */
export function useConversationDetail(id: Ref<string>): ConversationDetailState {
  const client = useGraphQLClient()
  const query = useQuery({ query: CONVERSATION_DETAIL, variables: () => ({ id: id.value }), requestPolicy: 'network-only' })
  let live: { unsubscribe(): void } | null = null
  /** An update that came while a fetch was under way: that fetch may have missed it. */
  let isStale = false
  const refetch = () => {
    if (query.fetching.value) isStale = true
    else void query.executeQuery({ requestPolicy: 'network-only' })
  }
  watch(query.fetching, (fetching) => {
    if (fetching || !isStale) return
    isStale = false
    refetch()
  })
  watch(
    [id, client],
    () => {
      live?.unsubscribe()
      live = client.value.subscription(CONVERSATION_UPDATED, { id: id.value }).subscribe((result) => {
        if (result.data?.conversationUpdated.id === id.value) refetch()
      })
    },
    { immediate: true },
  )
  onScopeDispose(() => live?.unsubscribe())
  return {
    conversation: computed(() => query.data.value?.conversation ?? null),
    loading: computed(() => query.fetching.value && !query.data.value),
    error: computed(() => query.error.value ?? null),
    missing: computed(() => query.data.value !== undefined && query.data.value.conversation === null),
  }
}
