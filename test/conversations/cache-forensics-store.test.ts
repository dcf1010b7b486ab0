/**
 * Cache forensics on stored traffic: records written through the capture store with grouping and
 * pricing, at chosen times, read back by the service. The TTL comes from the `cache_control` marks
 * of the previous turn's stored body, which its row keeps apart from the parts.
 */
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { CacheForensicsService, sumCacheMisses } from '../../server/conversations/cache-forensics.service'
import { createBatchGrouping } from '../../server/conversations/batch-grouping'
import { createMemoryBus } from '../../server/live/memory-bus'
import { createLogger } from '../../server/logger'
import type { UsageRecord } from '../../server/records/request-record'
import { createCaptureStore } from '../../server/store/capture-store'
import { withPricing } from '../../server/usage/priced-capture-store'
import { PricesService } from '../../server/usage/prices.service'
import { makeRecord } from '../support/record-fixtures'
import { useMigratedStore } from '../support/test-database'
import { NO_CHUNKS } from '../../server/records/capture-op'

const store = useMigratedStore()

function cacheUsage(read: number, write5m: number, write1h: number): UsageRecord {
  return {
    inputTokens: 5, outputTokens: 50, cacheCreationInputTokens: write5m + write1h, cacheCreation5mInputTokens: write5m, cacheCreation1hInputTokens: write1h,
    cacheReadInputTokens: read, thinkingTokens: null, webSearchRequests: null, webFetchRequests: null, serviceTier: 'standard', inferenceGeo: null,
  }
}

/** A Claude Code-like body whose last message carries the breakpoint (`ttl`: none for the 5-minute default). */
function body(texts: string[], ttl: '1h' | null): string {
  const mark = ttl === null ? { type: 'ephemeral' } : { type: 'ephemeral', ttl }
  const messages = texts.map((text, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content: [{ type: 'text', text, ...(i === texts.length - 1 ? { cache_control: mark } : {}) }] }))
  return JSON.stringify({
    model: 'claude-sonnet-4-5', max_tokens: 1024, stream: true,
    system: [{ type: 'text', text: 'You are Claude Code.', cache_control: mark }],
    tools: [{ name: 'Read', description: 'Reads a file', input_schema: { type: 'object' } }],
    messages,
  })
}

/**
 * Two turns of a session, ten minutes apart: the first caches 10,000 tokens, the second reads none
 * of them back. `earlier` messages come before them, the same in both.
 */
async function sessionWithIdleGap(ttl: '1h' | null, earlier = 0): Promise<{ conversationId: string; first: string; second: string }> {
  const history = Array.from({ length: earlier }, (_, i) => `earlier message ${i}`)
  const session = randomUUID()
  const turn = (at: string, texts: string[], usage: UsageRecord) => {
    const requestBody = body(texts, ttl)
    return makeRecord({
      id: randomUUID(), startedAt: new Date(at), completedAt: new Date(new Date(at).getTime() + 5000), model: 'claude-sonnet-4-5', usage, requestBody,
      requestBodyBytes: Buffer.byteLength(requestBody), requestBodyIsJson: true,
      requestHeaders: { 'content-type': 'application/json', 'x-claude-code-session-id': session },
    })
  }
  const split = (tokens: number): [number, number] => (ttl === null ? [tokens, 0] : [0, tokens])
  const first = turn('2026-11-02T10:00:00Z', [...history, 'Plan a trip'], cacheUsage(0, ...split(10_000)))
  const second = turn('2026-11-02T10:10:00Z', [...history, 'Plan a trip', 'Where to?', 'Lisbon'], cacheUsage(0, ...split(12_000)))
  const prices = new PricesService({ dataSource: store.dataSource, logger: createLogger('silent') })
  const book = await prices.book()
  const writer = withPricing(createCaptureStore(store.dataSource, createBatchGrouping({ dataSource: store.dataSource, bus: createMemoryBus(), logger: createLogger('silent') })), {
    current: () => book,
    recostLater: () => {},
  })
  await writer.writeBatch([{ kind: 'complete', record: first, chunks: NO_CHUNKS }], () => false)
  await writer.writeBatch([{ kind: 'complete', record: second, chunks: NO_CHUNKS }], () => false)
  const [row] = (await store.dataSource.query('SELECT conversation_id FROM conversation_requests WHERE request_id = $1', [second.id])) as [{ conversation_id: string }]
  return { conversationId: row.conversation_id, first: first.id, second: second.id }
}

const forensics = () => new CacheForensicsService(store.dataSource, new PricesService({ dataSource: store.dataSource, logger: createLogger('silent') }))

describe('cache forensics of stored turns', () => {
  it('finds the 5-minute TTL of the stored breakpoint elapsed after ten idle minutes, and prices the rewritten prefix', async () => {
    const { conversationId, first, second } = await sessionWithIdleGap(null)
    const misses = await forensics().misses(conversationId)
    // Sonnet 4.5: 10,000 missed 5-minute writes x ($3.75 - $0.30) = 34,500 per million.
    expect(misses.get(second)).toMatchObject({
      reason: 'TTL_EXPIRED', previousRequestId: first, ttlSeconds: 300, cacheAgeSeconds: 600, idleSeconds: 595,
      expectedReadTokens: 10_000, missedTokens: 10_000, missed5mTokens: 10_000, missed1hTokens: 0, missCostUsdExact: '0.0345',
    })
    expect(sumCacheMisses(misses.values())).toEqual({
      requests: 2, missedTokens: 10_000, missCostUsd: '0.0345', missCostUsdExact: '0.0345', unpricedRequests: 0,
      byReason: [
        { reason: 'TTL_EXPIRED', requests: 1, missedTokens: 10_000, missCostUsd: '0.0345', missCostUsdExact: '0.0345' },
        { reason: 'FIRST_TURN', requests: 1, missedTokens: 0, missCostUsd: '0', missCostUsdExact: '0' },
      ],
    })
  })

  it.each([
    ['a short conversation, whose rows\' shared list holds the system prompt and tool alone', 0, 2],
    ['a long one, whose rows\' list holds its first messages too', 40, 34],
  ])('does not blame the TTL for the same ten minutes when the stored breakpoint asked for an hour, in %s', async (_, earlier, listedIds) => {
    const { conversationId, second } = await sessionWithIdleGap('1h', earlier)
    const [{ listed }] = (await store.dataSource.query('SELECT cardinality(l.ids)::int AS listed FROM requests r JOIN content_lists l ON l.id = r.request_body_content_list_id WHERE r.id = $1', [second])) as [{ listed: number }]
    expect(listed).toBe(listedIds)
    // 10,000 missed 1-hour writes x ($6 - $0.30) = 57,000 per million.
    expect((await forensics().misses(conversationId)).get(second)).toMatchObject({
      reason: 'UNEXPLAINED', ttlSeconds: 3600, cacheAgeSeconds: 600, missedTokens: 10_000, missed1hTokens: 10_000, missed5mTokens: 0, missCostUsdExact: '0.057',
    })
  })
})
