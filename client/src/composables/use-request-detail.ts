import { useQuery } from '@urql/vue'
import { computed, onScopeDispose, watch, type Ref } from 'vue'
import { REQUEST_DETAIL, type RequestDetail, type RequestStatus } from '../graphql/documents'

export interface RequestDetailState {
  /** The request, or null while loading, after an error, or when no request has this id. */
  request: Readonly<Ref<RequestDetail | null>>
  /** True while a fetch is under way (also a refetch, when `request` still shows the older answer). */
  loading: Readonly<Ref<boolean>>
  error: Readonly<Ref<Error | null>>
  /**
   * Fetches the request again until its stored record is final: a stream's end is announced live
   * before the record is written, so the first answer may still say IN_FLIGHT (or find no record).
   */
  refreshUntilFinal(): void
}

/** Refetches of a record announced final but not yet stored as such, at growing intervals (about 25 s in all). */
const FINAL_RETRIES = 7
const FIRST_RETRY_MS = 200

/**
 * One recorded request with everything the detail view shows. `status` is what the caller last
 * knew of it (the live list's row): when it changes, the request ended and is fetched again, so an
 * in-flight request turns into its final form without a reload.
 */
export function useRequestDetail(id: Ref<string>, status: Ref<RequestStatus | null>): RequestDetailState {
  const query = useQuery({ query: REQUEST_DETAIL, variables: () => ({ id: id.value }), requestPolicy: 'network-only' })
  let retryTimer: ReturnType<typeof setTimeout> | undefined

  function refreshUntilFinal(attempt = 0): void {
    clearTimeout(retryTimer)
    const asked = id.value
    void query.executeQuery({ requestPolicy: 'network-only' }).then(() => {
      const stored = query.data.value?.request
      if (asked !== id.value || (stored && stored.status !== 'IN_FLIGHT') || attempt >= FINAL_RETRIES) return
      retryTimer = setTimeout(() => refreshUntilFinal(attempt + 1), FIRST_RETRY_MS * 2 ** attempt)
    })
  }

  watch([id, status], ([nowId, now], [beforeId, before]) => {
    if (nowId === beforeId && before && now !== before && now !== 'IN_FLIGHT') refreshUntilFinal()
  })
  watch(id, () => clearTimeout(retryTimer))
  onScopeDispose(() => clearTimeout(retryTimer))
  return {
    request: computed(() => query.data.value?.request ?? null),
    loading: computed(() => query.fetching.value),
    error: computed(() => query.error.value ?? null),
    refreshUntilFinal: () => refreshUntilFinal(),
  }
}
