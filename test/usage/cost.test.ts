import { describe, expect, it, vi } from 'vitest'
import { RequestBody, requestBodyBytesOf, withRequestBody } from '../../server/records/request-body'
import type { UsageRecord } from '../../server/records/request-record'
import { cacheMissCostOf, costOf, type CostInput } from '../../server/usage/cost'
import { PriceBook } from '../../server/usage/price-book'
import { recordPricer, withPricing } from '../../server/usage/priced-capture-store'
import { NO_CHUNKS, type CaptureOp } from '../../server/records/capture-op'
import type { CaptureStore } from '../../server/store/capture-store'
import { SHIPPED_ALIASES, SHIPPED_PRICES } from '../../server/usage/price-data'
import { mergeUsage, toUsageRecord } from '../../server/wire/usage'
import { makeRecord } from '../support/record-fixtures'

const book = new PriceBook(SHIPPED_PRICES, [], SHIPPED_ALIASES)

function usage(fields: Partial<UsageRecord>): UsageRecord {
  return {
    inputTokens: null, outputTokens: null, cacheCreationInputTokens: null, cacheCreation5mInputTokens: null, cacheCreation1hInputTokens: null,
    cacheReadInputTokens: null, thinkingTokens: null, webSearchRequests: null, webFetchRequests: null, serviceTier: 'standard', inferenceGeo: null, ...fields,
  }
}

function exchange(model: string, fields: Partial<UsageRecord>, overrides: Partial<CostInput> = {}): CostInput {
  return { path: '/v1/messages', model, routedModel: null, startedAt: new Date('2026-11-01T12:00:00Z'), usage: usage(fields), ...overrides }
}

describe('costOf', () => {
  it('prices each token kind at its own rate: Sonnet 4.5 with cache reads and 5-minute and 1-hour writes', () => {
    // 1,000 x $3 + 500 x $15 + 20,000 x $0.30 + 3,000 x $3.75 + 2,000 x $6, per million = $0.03975
    const cost = costOf(exchange('claude-sonnet-4-5-20250929', { inputTokens: 1000, outputTokens: 500, cacheReadInputTokens: 20_000, cacheCreationInputTokens: 5000, cacheCreation5mInputTokens: 3000, cacheCreation1hInputTokens: 2000 }), book)
    expect(cost).toEqual({ costUsd: '0.03975', priceId: 'shipped:claude-sonnet-4-5:1970-01-01:0', costStatus: 'PRICED' })
  })

  it('costs a streamed response the same from its merged message_start and message_delta usage', () => {
    let raw = mergeUsage(null, { input_tokens: 1000, output_tokens: 1, cache_read_input_tokens: 20_000, cache_creation_input_tokens: 5000, cache_creation: { ephemeral_5m_input_tokens: 3000, ephemeral_1h_input_tokens: 2000 } })
    raw = mergeUsage(raw, { output_tokens: 250, input_tokens: null })
    raw = mergeUsage(raw, { output_tokens: 500, cache_read_input_tokens: 20_000 })
    const cost = costOf({ path: '/v1/messages', model: 'claude-sonnet-4-5', routedModel: null, startedAt: new Date('2026-11-01T12:00:00Z'), usage: toUsageRecord(raw) }, book)
    expect(cost.costUsd).toBe('0.03975')
  })

  it('takes a cache write without the 5m/1h split as a 5-minute one', () => {
    // 4,000 x $3.75 per million
    expect(costOf(exchange('claude-sonnet-4-5', { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 4000 }), book).costUsd).toBe('0.015')
  })

  it('prices the whole request at the long-context tier once input, cache writes and reads pass 200k tokens', () => {
    // 150,000 x $6 + 60,000 x $0.60 + 1,000 x $22.50 = $0.9585
    const long = costOf(exchange('claude-sonnet-4-5', { inputTokens: 150_000, cacheReadInputTokens: 60_000, outputTokens: 1000 }), book)
    expect(long).toEqual({ costUsd: '0.9585', priceId: 'shipped:claude-sonnet-4-5:1970-01-01:200001', costStatus: 'PRICED' })
    // exactly 200,000: 200,000 x $3 + 1,000 x $15 = $0.615
    expect(costOf(exchange('claude-sonnet-4-5', { inputTokens: 200_000, outputTokens: 1000 }), book).costUsd).toBe('0.615')
  })

  it('prices Haiku 5.5 above 100k tokens of prompt at its higher tier, the whole request', () => {
    // 100,001 x $0.50 + 10 x $2.50 = $0.0500255
    expect(costOf(exchange('claude-haiku-5-5', { inputTokens: 100_001, outputTokens: 10 }), book).costUsd).toBe('0.0500255')
    // 100,000 x $0.10 + 10 x $0.50 = $0.010005
    expect(costOf(exchange('claude-haiku-5-5', { inputTokens: 100_000, outputTokens: 10 }), book).costUsd).toBe('0.010005')
  })

  it('halves a Batch API request and adds 10% for US-only inference', () => {
    // (10,000 x $1 + 2,000 x $5) x 0.5 = $0.01
    expect(costOf(exchange('claude-haiku-4-5', { inputTokens: 10_000, outputTokens: 2000, serviceTier: 'batch' }), book).costUsd).toBe('0.01')
    // (1,000 x $5 + 100 x $25) x 1.1 = $0.00825
    expect(costOf(exchange('claude-opus-4-6', { inputTokens: 1000, outputTokens: 100, inferenceGeo: 'us' }), book).costUsd).toBe('0.00825')
    // both: $0.00825 x 0.5
    expect(costOf(exchange('claude-opus-4-6', { inputTokens: 1000, outputTokens: 100, inferenceGeo: 'us', serviceTier: 'batch' }), book).costUsd).toBe('0.004125')
  })

  it('follows effective dates: a price change applies from its day, and a tier removed stops applying', () => {
    // Sonnet 5.5 cache reads: $0.20 before 2026-10-07, $0.10 from then; 1,000,000 reads
    const reads = { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 1_000_000 }
    expect(costOf(exchange('claude-sonnet-5-5', reads, { startedAt: new Date('2026-10-06T23:59:59Z') }), book).costUsd).toBe('0.2')
    expect(costOf(exchange('claude-sonnet-5-5', reads, { startedAt: new Date('2026-10-07T00:00:00Z') }), book).costUsd).toBe('0.1')
    // Opus 4.6, 300,000 input tokens: $10 (long context) before 2026-03-13, $5 from then
    expect(costOf(exchange('claude-opus-4-6', { inputTokens: 300_000, outputTokens: 0 }, { startedAt: new Date('2026-01-01T00:00:00Z') }), book).costUsd).toBe('3')
    expect(costOf(exchange('claude-opus-4-6', { inputTokens: 300_000, outputTokens: 0 }, { startedAt: new Date('2026-03-13T00:00:00Z') }), book).costUsd).toBe('1.5')
  })

  it('adds web searches at $10 per thousand, outside the token factors', () => {
    // 1,000 x $3 = $0.003, plus 2 searches x $0.01
    expect(costOf(exchange('claude-sonnet-4-5', { inputTokens: 1000, outputTokens: 0, webSearchRequests: 2, serviceTier: 'batch' }), book).costUsd).toBe('0.0215')
  })

  it('matches dated, Bedrock, Vertex, dotted and aliased ids to one price, and never a prefix cousin', () => {
    const ids = ['claude-sonnet-4-5-20250929', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'claude-sonnet-4-5@20250929', 'claude-sonnet-4.5', 'claude-sonnet-4-5[1m]']
    for (const id of ids) expect(costOf(exchange(id, { inputTokens: 1, outputTokens: 1 }), book).priceId).toBe('shipped:claude-sonnet-4-5:1970-01-01:0')
    expect(costOf(exchange('claude-opus-4-0', { inputTokens: 1, outputTokens: 1 }), book).priceId).toBe('shipped:claude-opus-4:1970-01-01:0')
    expect(costOf(exchange('claude-sonnet-5-5', { inputTokens: 1, outputTokens: 1 }), book).priceId).toMatch(/^shipped:claude-sonnet-5-5:/)
  })

  it('gives an unknown model no cost and says so, never $0; count_tokens is not billed; no usage is no cost', () => {
    expect(costOf(exchange('claude-nova-9', { inputTokens: 1000, outputTokens: 10 }), book)).toEqual({ costUsd: null, priceId: null, costStatus: 'UNKNOWN_MODEL' })
    expect(costOf(exchange('claude-sonnet-4-5', { inputTokens: 1000 }, { path: '/v1/messages/count_tokens' }), book)).toEqual({ costUsd: null, priceId: null, costStatus: 'NOT_BILLED' })
    expect(costOf({ ...exchange('claude-sonnet-4-5', {}), usage: null }, book)).toEqual({ costUsd: null, priceId: null, costStatus: 'NO_USAGE' })
  })

  it('prices a routed request at the model it was sent to', () => {
    // 1,000,000 input tokens of Haiku 4.5 = $1, not Sonnet's $3
    expect(costOf(exchange('claude-sonnet-4-5', { inputTokens: 1_000_000, outputTokens: 0 }, { routedModel: 'claude-haiku-4-5' }), book).costUsd).toBe('1')
  })

  it('lets an override replace a shipped row of the same model, date and tier', () => {
    const shipped = SHIPPED_PRICES.find((row) => row.id === 'shipped:claude-haiku-4-5:1970-01-01:0')!
    const overridden = new PriceBook(SHIPPED_PRICES, [{ ...shipped, id: 'override-1', inputUsdPerMTok: '2', source: 'OVERRIDE' }], SHIPPED_ALIASES)
    // 1,000,000 x $2
    expect(costOf(exchange('claude-haiku-4-5-20251001', { inputTokens: 1_000_000, outputTokens: 0 }), overridden)).toEqual({ costUsd: '2', priceId: 'override-1', costStatus: 'PRICED' })
  })
})

describe('cacheMissCostOf', () => {
  const sonnet = book.lookup('claude-sonnet-4-5', new Date('2026-11-01T12:00:00Z'), 0)!

  it('prices missed cache writes at write less read price, per TTL, with the Batch API factor', () => {
    // 7,000 x ($3.75 - $0.30) + 5,000 x ($6 - $0.30) = 24,150 + 28,500 = 52,650 per million
    expect(cacheMissCostOf(sonnet, 7000, 5000, { serviceTier: 'standard', inferenceGeo: null })).toBe('0.05265')
    expect(cacheMissCostOf(sonnet, 7000, 5000, { serviceTier: 'batch', inferenceGeo: null })).toBe('0.026325')
    expect(cacheMissCostOf(sonnet, 0, 0, { serviceTier: 'standard', inferenceGeo: null })).toBe('0')
  })
})

describe('recordPricer', () => {
  it('prices a captured record without decoding its request body, which still reads back whole when asked', () => {
    const bytes = Buffer.from('{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}]}')
    const decode = vi.spyOn(bytes, 'toString')
    const { requestBody: _text, ...fields } = makeRecord({ model: 'claude-sonnet-4-5', usage: usage({ inputTokens: 1000, outputTokens: 0 }) })
    const captured = withRequestBody(fields, new RequestBody(bytes))
    const priced = recordPricer({ current: () => book })(captured)
    expect(priced.costUsd).toBe('0.003')
    expect(decode).not.toHaveBeenCalled()
    expect(requestBodyBytesOf(priced)).toBe(bytes)
    expect(priced.requestBody).toBe(bytes.toString('utf8'))
  })

  it('leaves the writer nothing to cost while the book it was costed with is in force, and costs it again once another is', async () => {
    const written: CaptureOp[] = []
    const store = { writeBatch: async (ops: readonly CaptureOp[]) => void written.push(...ops) } as unknown as CaptureStore
    let inForce = book
    const recostLater = vi.fn()
    const pricing = { current: () => inForce, recostLater }
    const priced = recordPricer(pricing)(makeRecord({ model: 'claude-sonnet-4-5', usage: usage({ inputTokens: 1000, outputTokens: 0 }) }))
    const priceable = withPricing(store, pricing)
    await priceable.writeBatch([{ kind: 'complete', record: priced, chunks: NO_CHUNKS }], () => false)
    expect(written[0]!.record).toBe(priced)

    const doubled = SHIPPED_PRICES.filter((row) => row.model === 'claude-sonnet-4-5').map((row) => ({ ...row, inputUsdPerMTok: String(2 * Number(row.inputUsdPerMTok)) }))
    inForce = new PriceBook(SHIPPED_PRICES, doubled, SHIPPED_ALIASES)
    await priceable.writeBatch([{ kind: 'complete', record: priced, chunks: NO_CHUNKS }], () => false)
    expect(written[1]!.record).not.toBe(priced)
    expect(written[1]!.record.costUsd).toBe('0.006')
    expect(recostLater).not.toHaveBeenCalled()
  })
})
