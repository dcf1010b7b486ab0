import { useQuery } from '@urql/vue'
import { computed, onScopeDispose, ref, watch, type Ref } from 'vue'
import { REQUEST_DETAIL, type RequestDetail, type RequestStatus } from '../graphql/documents'

export interface RequestDetailState {
  /** The request, or null while loading, after an error, or when no request has this id. */
  request: Readonly<Ref<RequestDetail | null>>
  /**
   * True while a fetch is under way (also a refetch, when `request` still shows the older answer),
   * and while the detail asks again for a request the list shows ended that the store has not written as such yet.
   */
  loading: Readonly<Ref<boolean>>
  error: Readonly<Ref<Error | null>>
  /**
   * Fetches the request again until its stored record is final: a stream's end is announced live
   * before the record is written, so the first answer may still say IN_FLIGHT (or find no record).
   */
  refreshUntilFinal(): void
}

/** Refetches of a record the store has not caught up with, at growing intervals (about 25 s in all). */
const CATCH_UP_RETRIES = 7
const FIRST_RETRY_MS = 200

type StoredRequest = RequestDetail | null | undefined

/**
 * One recorded request with everything the detail view shows. `status` is what the caller last
 * knew of it (the live list's row): when it changes, the request ended and is fetched again, so an
 * in-flight request turns into its final form without a reload. The live list hears of an exchange's
 * end before the capture writer stores it (records wait a moment to share a database write), so a
 * row opened at once may not be stored as ended yet: it is asked for again until it is.
 */
export function useRequestDetail(id: Ref<string>, status: Ref<RequestStatus | null>): RequestDetailState {
  const query = useQuery({ query: REQUEST_DETAIL, variables: () => ({ id: id.value }), requestPolicy: 'network-only' })
  const catchingUp = ref(false)
  let retryTimer: ReturnType<typeof setTimeout> | undefined
  /** The id whose first answer was checked against what the list knows. */
  let checkedId: string | null = null

  const isFinal = (stored: StoredRequest) => stored != null && stored.status !== 'IN_FLIGHT'

  function refreshUntilFinal(attempt = 0): void {
    clearTimeout(retryTimer)
    const asked = id.value
    catchingUp.value = true
    void query.executeQuery({ requestPolicy: 'network-only' }).then(() => {
      if (asked !== id.value) return
      if (isFinal(query.data.value?.request) || attempt >= CATCH_UP_RETRIES) {
        catchingUp.value = false
        return
      }
      retryTimer = setTimeout(() => refreshUntilFinal(attempt + 1), FIRST_RETRY_MS * 2 ** attempt)
    })
  }

  // A row the list shows ended whose first answer is not (no record, or one still in flight). A row
  // still in flight is followed live instead, and fetched again when its status changes.
  watch(
    () => query.fetching.value,
    (fetching) => {
      if (fetching || checkedId === id.value) return
      checkedId = id.value
      if (status.value !== null && status.value !== 'IN_FLIGHT' && !isFinal(query.data.value?.request)) refreshUntilFinal()
    },
    { immediate: true },
  )
  watch([id, status], ([nowId, now], [beforeId, before]) => {
    if (nowId === beforeId && before && now !== before && now !== 'IN_FLIGHT') refreshUntilFinal()
  })
  watch(id, () => {
    clearTimeout(retryTimer)
    catchingUp.value = false
  })
  onScopeDispose(() => clearTimeout(retryTimer))
  return {
    request: computed(() => query.data.value?.request ?? null),
    loading: computed(() => query.fetching.value || catchingUp.value),
    error: computed(() => query.error.value ?? null),
    refreshUntilFinal: () => refreshUntilFinal(),
  }
}
