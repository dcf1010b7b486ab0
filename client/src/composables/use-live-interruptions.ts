import { inject, onScopeDispose, ref, watch, type Ref } from 'vue'
import { useGraphQLClient } from '../graphql/client'
import { dashboardSessionKey } from '../graphql/dashboard-session'
import { LIVE_STATUS } from '../graphql/documents'
import type { RequestList } from './use-request-list'

export interface LiveInterruptions {
  /** Live updates stopped at some point since the last reload: the page may lack what happened meanwhile. */
  interrupted: Readonly<Ref<boolean>>
  /** Live updates are stopped now (socket closed, or the server's link to other instances down). */
  isDown: Readonly<Ref<boolean>>
  /** Request events the catch-up after the interruption found missing; null until it ran. */
  missedEvents: Readonly<Ref<number | null>>
  /** The user reloaded: the banner goes until the next interruption. */
  acknowledge(): void
}

/**
 * Notices when live updates were lost, from either side: the dashboard's WebSocket dropped (the
 * subscriptions resume on reconnection, but what was sent meanwhile is gone), or the server says
 * its link to the other instances broke (their events never reached it). Once both are back, the
 * list catches up on its newest page and the number of request events it had missed is counted.
 */
export function useLiveInterruptions(list: Pick<RequestList, 'catchUp'>): LiveInterruptions {
  const client = useGraphQLClient()
  const socket = inject(dashboardSessionKey, null)?.liveSocket ?? null
  const interrupted = ref(false)
  const socketDown = ref(false)
  const linkDown = ref(false)
  const isDown = ref(false)
  const missedEvents = ref<number | null>(null)

  let lastInterruptions: number | null = null
  let linkSubscription: { unsubscribe(): void } | null = null
  watch(
    client,
    () => {
      linkSubscription?.unsubscribe()
      lastInterruptions = null
      linkSubscription = client.value.subscription(LIVE_STATUS, {}).subscribe((result) => {
        const link = result.data?.liveStatus
        if (!link) return
        const broke = !link.connected || (lastInterruptions !== null && link.interruptions > lastInterruptions)
        lastInterruptions = link.interruptions
        if (broke) interrupted.value = true
        linkDown.value = !link.connected
      })
    },
    { immediate: true },
  )
  onScopeDispose(() => linkSubscription?.unsubscribe())

  if (socket) {
    watch(socket.drops, () => {
      interrupted.value = true
      socketDown.value = true
    })
    watch(socket.isOpen, (open) => {
      if (open) socketDown.value = false
    })
  }

  /** Counted once per interruption, when everything is back; a second one meanwhile adds to it. */
  watch([socketDown, linkDown, interrupted], async ([socketIsDown, linkIsDown, wasInterrupted]) => {
    isDown.value = socketIsDown || linkIsDown
    if (!wasInterrupted || isDown.value) return
    const missed = await list.catchUp()
    if (interrupted.value) missedEvents.value = (missedEvents.value ?? 0) + missed
  })

  return {
    interrupted,
    isDown,
    missedEvents,
    acknowledge() {
      interrupted.value = false
      missedEvents.value = null
    },
  }
}
