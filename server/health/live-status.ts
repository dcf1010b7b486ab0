import type { LiveBus, LiveBusLink, LiveEvent } from '../live/live-bus'
import { closeWith } from '../requests/request-subscriptions'

/**
 * This instance's link to the live events of the others: its state now, then each change. A
 * dashboard that sees `connected` go false, or `interruptions` grow, knows its live views missed
 * events and reloads them from the store.
 */
export function liveStatus(bus: LiveBus): AsyncIterableIterator<LiveBusLink> {
  const source = bus.subscribe(undefined, { kinds: ['link'] })
  return closeWith(source, followLink(source, bus.link))
}

async function* followLink(source: AsyncIterable<LiveEvent>, now: LiveBusLink): AsyncGenerator<LiveBusLink> {
  yield now
  for await (const event of source) {
    if (event.kind === 'link') yield event.link
  }
}
