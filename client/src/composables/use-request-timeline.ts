import { useQuery } from '@urql/vue'
import { computed, ref, type Ref } from 'vue'
import { REQUEST_TIMELINE } from '../graphql/documents'
import { buildTimeline, type Timeline } from '../messages/timeline'

export interface RequestTimelineState {
  /** The timeline once loaded; null before `load()`, while loading, or when the request is gone. */
  timeline: Readonly<Ref<Timeline | null>>
  loading: Readonly<Ref<boolean>>
  error: Readonly<Ref<Error | null>>
  /** Starts fetching; the chunks of a long stream are large, so nothing is fetched until asked. */
  load: () => void
}

/** The timing phases of one request, computed from its stored SSE chunks. */
export function useRequestTimeline(id: Ref<string>): RequestTimelineState {
  const isWanted = ref(false)
  const query = useQuery({ query: REQUEST_TIMELINE, variables: () => ({ id: id.value }), pause: () => !isWanted.value, requestPolicy: 'network-only' })
  return {
    timeline: computed(() => {
      const request = query.data.value?.request
      return request ? buildTimeline(request.chunks, request.ttfbMs, request.durationMs) : null
    }),
    loading: computed(() => query.fetching.value),
    error: computed(() => query.error.value ?? null),
    load: () => {
      isWanted.value = true
    },
  }
}
