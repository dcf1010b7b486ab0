import { useQuery } from '@urql/vue'
import { computed, watch, type Ref } from 'vue'
import { REQUEST_DETAIL, type RequestDetail, type RequestStatus } from '../graphql/documents'

export interface RequestDetailState {
  /** The request, or null while loading, after an error, or when no request has this id. */
  request: Readonly<Ref<RequestDetail | null>>
  /** True while a fetch is under way (also a refetch, when `request` still shows the older answer). */
  loading: Readonly<Ref<boolean>>
  error: Readonly<Ref<Error | null>>
}

/**
 * One recorded request with everything the detail view shows. `status` is what the caller last
 * knew of it (the live list's row): when it changes, the request ended and is fetched again, so an
 * in-flight request turns into its final form without a reload.
 */
export function useRequestDetail(id: Ref<string>, status: Ref<RequestStatus | null>): RequestDetailState {
  const query = useQuery({ query: REQUEST_DETAIL, variables: () => ({ id: id.value }), requestPolicy: 'network-only' })
  watch(status, (now, before) => {
    if (before && now !== before) void query.executeQuery({ requestPolicy: 'network-only' })
  })
  return {
    request: computed(() => query.data.value?.request ?? null),
    loading: computed(() => query.fetching.value),
    error: computed(() => query.error.value ?? null),
  }
}
