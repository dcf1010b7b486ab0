import { useQuery } from '@urql/vue'
import { computed, onScopeDispose, shallowRef, watch, type Ref } from 'vue'
import { useGraphQLClient } from '../graphql/client'
import { RATE_LIMIT_STATUS, RATE_LIMIT_UPDATED, type RateLimitStatus } from '../graphql/usage-documents'

export interface RateLimitsState {
  /** The latest state of each organization and key, newest first; empty when no response carried rate-limit headers. */
  statuses: Readonly<Ref<readonly RateLimitStatus[]>>
  /** True until the first answer. */
  loading: Readonly<Ref<boolean>>
  error: Readonly<Ref<Error | null>>
}

/** Quota status per organization and key, replaced live as each response's rate-limit headers arrive. */
export function useRateLimits(): RateLimitsState {
  const client = useGraphQLClient()
  const query = useQuery({ query: RATE_LIMIT_STATUS, requestPolicy: 'network-only' })
  /** States pushed since the query answered, by organization and key; they win over the query's. */
  const pushed = shallowRef<ReadonlyMap<string, RateLimitStatus>>(new Map())
  watch(query.data, () => {
    pushed.value = new Map()
  })
  let live: { unsubscribe(): void } | null = null
  watch(
    client,
    () => {
      live?.unsubscribe()
      live = client.value.subscription(RATE_LIMIT_UPDATED, {}).subscribe((result) => {
        const status = result.data?.rateLimitUpdated
        if (status) pushed.value = new Map(pushed.value).set(statusKey(status), status)
      })
    },
    { immediate: true },
  )
  onScopeDispose(() => live?.unsubscribe())

  return {
    statuses: computed(() => {
      const byKey = new Map((query.data.value?.rateLimitStatus ?? []).map((status) => [statusKey(status), status]))
      for (const [key, status] of pushed.value) byKey.set(key, status)
      return [...byKey.values()].sort((a, b) => b.observedAt.localeCompare(a.observedAt))
    }),
    loading: computed(() => query.fetching.value && !query.data.value),
    error: computed(() => query.error.value ?? null),
  }
}

function statusKey(status: RateLimitStatus): string {
  return JSON.stringify([status.organizationId, status.apiKeyFingerprint])
}
