import { computed, onScopeDispose, shallowRef, watch, type Ref } from 'vue'
import { onEnd, pipe, subscribe } from 'wonka'
import { useGraphQLClient } from '../graphql/client'
import { STREAM_CHUNKS } from '../graphql/documents'
import { LiveMessage, type LiveChunk, type LiveMessageState } from '../messages/live-message'
import { buildTimeline, type Timeline } from '../messages/timeline'

export interface LiveResponseState {
  /** The response so far; null until the first chunk. */
  message: Readonly<Ref<LiveMessageState | null>>
  /** Where its time went so far, from the chunks' arrival offsets. */
  timeline: Readonly<Ref<Timeline | null>>
  /** The stream ended (the server completed the subscription): the stored request is final or about to be. */
  ended: Readonly<Ref<boolean>>
  error: Readonly<Ref<Error | null>>
}

/**
 * A streaming response as it arrives, while `watching` is true: the chunks so far at once, then
 * each new one, folded into content blocks. A subscription that reconnects replays the chunks from
 * the first, and LiveMessage skips those it has, so nothing shows twice.
 */
export function useLiveResponse(requestId: Ref<string>, watching: Ref<boolean>): LiveResponseState {
  const client = useGraphQLClient()
  const message = shallowRef<LiveMessageState | null>(null)
  const chunks = shallowRef<readonly LiveChunk[]>([])
  const ended = shallowRef(false)
  const error = shallowRef<Error | null>(null)
  let stop: (() => void) | null = null

  function follow(): void {
    stop?.()
    stop = null
    message.value = null
    chunks.value = []
    ended.value = false
    error.value = null
    if (!watching.value) return
    const live = new LiveMessage()
    const received: LiveChunk[] = []
    const subscription = pipe(
      client.value.subscription(STREAM_CHUNKS, { requestId: requestId.value }),
      onEnd(() => {
        ended.value = true
      }),
      subscribe((result) => {
        if (result.error) error.value = result.error
        const chunk = result.data?.streamChunks
        if (!chunk || !live.apply(chunk)) return
        received.push(chunk)
        chunks.value = received.slice()
        message.value = live.state
      }),
    )
    stop = () => subscription.unsubscribe()
  }

  watch([requestId, watching, client], follow, { immediate: true })
  onScopeDispose(() => stop?.())

  return {
    message,
    timeline: computed(() => (chunks.value.length ? buildTimeline(chunks.value, null, null) : null)),
    ended,
    error,
  }
}
