import { conversationLoad } from '../lib/conversation'
import { measureThroughput, type ThroughputOptions } from '../lib/throughput'
import type { Target } from '../lib/target'

/**
 * Claude-Code-shaped traffic: each worker runs its own conversation, its bodies growing turn by turn
 * from the 50 KB prefix (system and tools) to `maxBytes`, then starts another with a new seed.
 */
export function throughputConversations(targets: Target[], options: ThroughputOptions & { maxBytes: number } = { count: 3000, concurrency: 16, maxBytes: 200 * 1024 }): Promise<string> {
  const { concurrency, maxBytes } = options
  const heading = `Conversations, bodies growing from a 50 KB prefix to ${Math.round(maxBytes / 1024)} KB`
  return measureThroughput(
    targets,
    heading,
    (count, seed) => conversationLoad(count, seed, concurrency, maxBytes),
    options,
  )
}
