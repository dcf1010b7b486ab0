import type { LiveBus, LiveEvent } from '../live/live-bus'
import { closeWith } from '../requests/request-subscriptions'
import { toRateLimitStatus } from './rate-limit-status'
import type { RateLimitStatus } from './rate-limit.types'

/**
 * Every rate-limit snapshot as soon as a response's headers arrive (before the database has it),
 * as the status of its organization and key: the newest snapshot of a series is its status.
 */
export function rateLimitUpdates(bus: LiveBus): AsyncIterableIterator<RateLimitStatus> {
  const source = bus.subscribe(undefined, { kinds: ['rateLimit'] })
  return closeWith(source, toStatuses(source))
}

async function* toStatuses(source: AsyncIterable<LiveEvent>): AsyncGenerator<RateLimitStatus> {
  for await (const event of source) if (event.kind === 'rateLimit') yield toRateLimitStatus(event.snapshot)
}
