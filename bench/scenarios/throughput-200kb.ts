import { messagesBody } from '../lib/load'
import { measureThroughput, type ThroughputOptions } from '../lib/throughput'
import type { Target } from '../lib/target'

/**
 * One 200 KB body sent again and again: the bytes path alone. Its text repeats, so compression
 * and deduplication make storing it look cheaper than real traffic; compare with earlier runs only.
 */
export function throughput200kb(targets: Target[], options: ThroughputOptions = { count: 3000, concurrency: 16 }): Promise<string> {
  const body = messagesBody(200 * 1024)
  return measureThroughput(targets, '200 KB bodies, all the same', (count) => ({ count, concurrency: options.concurrency, body }), options)
}
