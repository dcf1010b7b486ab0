import type { LiveBus, LiveEvent } from '../live/live-bus'
import { closeWith } from '../requests/request-subscriptions'
import type { ConversationsService, ConversationSummary } from './conversations.service'

/**
 * A conversation as stored after each committed batch that changed it (a new turn, a response's
 * totals): of one conversation, or of any when `id` is not given.
 */
export function conversationUpdates(bus: LiveBus, service: ConversationsService, id: string | null | undefined): AsyncIterableIterator<ConversationSummary> {
  const source = bus.subscribe((event) => event.kind === 'conversation' && (id == null || event.conversationId === id), { kinds: ['conversation'] })
  return closeWith(source, readUpdates(source, service))
}

async function* readUpdates(source: AsyncIterable<LiveEvent>, service: ConversationsService): AsyncGenerator<ConversationSummary> {
  for await (const event of source) {
    if (event.kind !== 'conversation') continue
    const conversation = await service.get(event.conversationId)
    if (conversation !== null) yield conversation
  }
}
