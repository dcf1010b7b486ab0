/**
 * Seeds a database with synthetic finished requests for the usage benchmarks: a realistic spread
 * of models (an unknown one among them), API keys, prompt sizes and cache use over the last
 * `BENCH_DAYS` days, each costed with the shipped price book. Rows go in through the `requests`
 * table, so the rollup triggers run as they do for captured records.
 *
 * Bodies are laid out as the capture writer stores them (see body-layout): a skeleton in the row
 * and its parts in `contents`, a few shared system prompts and tool lists, and conversations of
 * about 25 requests each resending their last messages, so a message part is used by up to ten
 * requests. Message and response texts are words of a fixed vocabulary (about 350 and 500
 * characters on average, a long tail to several KB), among them the marker words of SEARCH_WORDS
 * at known rates, for the text search benchmark.
 *
 * Usage: `DATABASE_URL=postgres://… BENCH_RECORDS=1000000 node -r @swc-node/register bench/seed-usage.ts`
 * (or BENCH_EMBEDDED_DIR=<dir> for PGlite)
 * (migrates the database first). Prints the insert rate, which is also the rate the rollups keep up with.
 */
import { randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import type { DataSource } from 'typeorm'
import type { UsageRecord } from '../server/records/request-record'
import { contentsUpsert } from '../server/store/batch-statements'
import { PART_MARK } from '../server/store/contents/body-layout'
import { contentIdOf } from '../server/store/contents/content-id'
import { costOf } from '../server/usage/cost'
import { openBenchStore } from './lib/bench-store'
import { PriceBook } from '../server/usage/price-book'
import { SHIPPED_ALIASES, SHIPPED_PRICES } from '../server/usage/price-data'

/** Model ids as clients send them, with their share of requests. */
const MODELS: Array<[string, number]> = [
  ['claude-sonnet-4-5-20250929', 0.3],
  ['claude-sonnet-5-5', 0.2],
  ['claude-haiku-4-5-20251001', 0.2],
  ['claude-opus-4-6', 0.12],
  ['claude-opus-5-5', 0.08],
  ['claude-haiku-5-5', 0.06],
  ['claude-fable-5', 0.03],
  ['claude-nova-9', 0.01],
]
const KEYS = Array.from({ length: 40 }, (_, i) => `key:${(0x1000_0000 + i * 7919).toString(16)}`)
const BATCH = 5_000
/** Requests of one conversation, and the last messages each one resends. */
const CONVERSATION_REQUESTS = 25
const RESENT_MESSAGES = 10

/** Words searched by the benchmark, each put in a message or response text at this rate. */
export const SEARCH_WORDS: Array<[string, number]> = [
  ['Quetzalcoatl', 0.000_05],
  ['flamingo_ledger', 0.001],
  ['KubernetesOperator', 0.02],
]
const VOCABULARY = Array.from({ length: 3000 }, (_, i) => {
  const letters = 'abcdefghijklmnopqrstuvwxyz'
  let word = ''
  for (let n = i * 7919 + 13, len = 2 + (i % 9); word.length < len; n = Math.floor(n / 26) + i + word.length * 31) word += letters[n % 26]
  return word
})

/** A deterministic generator, so two runs seed the same records. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => ((state = (Math.imul(state ^ (state >>> 15), 2_246_822_519) + 0x9e37_79b9) >>> 0) / 2 ** 32)
}

function pick<T>(items: Array<[T, number]>, r: number): T {
  let acc = 0
  for (const [item, weight] of items) if (r < (acc += weight)) return item
  return items.at(-1)![0]
}

interface SeedOptions {
  records: number
  days: number
  /** The last instant records start before. */
  now: Date
}

/** About `mean` characters of words, with a long tail; marker words mixed in at their rates. */
function prose(next: () => number, mean: number): string {
  const target = Math.round(mean * 0.25 + next() ** 3 * mean * 3)
  const words: string[] = []
  for (let length = 0; length < target; ) {
    const word = VOCABULARY[Math.floor(VOCABULARY.length * next() ** 2)]!
    words.push(word)
    length += word.length + 1
  }
  for (const [word, rate] of SEARCH_WORDS) if (next() < rate) words.splice(Math.floor(next() * words.length), 0, word)
  return words.join(' ')
}

/** The content id of a part's text, as the capture writer derives it. */
const partOf = (json: string) => ({ id: contentIdOf(Buffer.from(json)), json, bytes: Buffer.from(json), member: 'messages' })

const SYSTEM_PARTS = Array.from({ length: 4 }, (_, i) => partOf(JSON.stringify({ type: 'text', text: `You are Claude Code, variant ${i}. ${'Follow the instructions. '.repeat(40)}` })))
const TOOL_PARTS = Array.from({ length: 4 }, (_, i) => partOf(JSON.stringify({ name: `Tool${i}`, description: 'Runs a tool. '.repeat(60), input_schema: { type: 'object' } })))

/** Writes parts as capture does, with their search keys. */
async function writeParts(dataSource: DataSource, parts: Array<ReturnType<typeof partOf>>): Promise<void> {
  for (const { text, values } of contentsUpsert(parts.toSorted((a, b) => (a.id < b.id ? -1 : 1)))) await dataSource.query(text, values)
}

/** Inserts `records` finished requests spread over `days` days before `now`; returns records per second. */
export async function seedUsage(dataSource: DataSource, { records, days, now }: SeedOptions): Promise<number> {
  const book = new PriceBook(SHIPPED_PRICES, [], SHIPPED_ALIASES)
  const next = random(42)
  const started = performance.now()
  await writeParts(dataSource, [...SYSTEM_PARTS, ...TOOL_PARTS])
  let conversation: Array<{ id: string; json: string }> = []
  for (let done = 0; done < records; done += BATCH) {
    const columns: unknown[][] = Array.from({ length: 20 }, () => [])
    const parts = new Map<string, ReturnType<typeof partOf>>()
    for (let i = 0; i < Math.min(BATCH, records - done); i++) {
      if ((done + i) % CONVERSATION_REQUESTS === 0) conversation = []
      const message = partOf(JSON.stringify({ role: 'user', content: [{ type: 'text', text: prose(next, 350) }] }))
      conversation = [...conversation.slice(1 - RESENT_MESSAGES), message]
      parts.set(message.id, message)
      const system = SYSTEM_PARTS[(done + i) % SYSTEM_PARTS.length]!
      const tools = TOOL_PARTS[(done + i) % TOOL_PARTS.length]!
      const contentIds = [system.id, tools.id, ...conversation.map((p) => p.id)]
      const model = pick(MODELS, next())
      // Keys are skewed: a few busy users, a long tail.
      const key = KEYS[Math.floor(KEYS.length * next() ** 2)]!
      const startedAt = new Date(now.getTime() - next() * days * 86_400_000)
      const countTokens = next() < 0.04
      const fresh = Math.round(20 + next() ** 3 * 20_000)
      const cacheRead = next() < 0.8 ? Math.round(next() * 180_000) : 0
      const write1h = next() < 0.3 ? Math.round(next() * 8_000) : 0
      const write5m = Math.round(next() * 6_000)
      const usage: UsageRecord | null = countTokens
        ? null
        : {
            inputTokens: fresh, outputTokens: Math.round(10 + next() ** 2 * 8_000), cacheCreationInputTokens: write5m + write1h, cacheCreation5mInputTokens: write5m,
            cacheCreation1hInputTokens: write1h, cacheReadInputTokens: cacheRead, thinkingTokens: null, webSearchRequests: next() < 0.02 ? 1 : 0, webFetchRequests: 0,
            serviceTier: next() < 0.03 ? 'batch' : 'standard', inferenceGeo: null,
          }
      const path = countTokens ? '/v1/messages/count_tokens' : '/v1/messages'
      const cost = costOf({ path, model, routedModel: null, startedAt, usage }, book)
      const values = [randomUUID(), startedAt, new Date(startedAt.getTime() + 4000), path, model, !countTokens, key, usage?.inputTokens ?? null, usage?.outputTokens ?? null,
        usage?.cacheCreationInputTokens ?? null, usage?.cacheCreation5mInputTokens ?? null, usage?.cacheCreation1hInputTokens ?? null, usage?.cacheReadInputTokens ?? null,
        usage?.serviceTier ?? null, cost.costUsd, cost.priceId, cost.costStatus,
        `{"model":${JSON.stringify(model)},"max_tokens":8192,"system":[${PART_MARK}],"tools":[${PART_MARK}],"messages":[${conversation.map(() => PART_MARK).join(',')}],"stream":true}`,
        `{${contentIds.join(',')}}`,
        countTokens ? `{"input_tokens":${fresh}}` : JSON.stringify({ type: 'message', role: 'assistant', model, content: [{ type: 'text', text: prose(next, 500) }] })]
      values.forEach((value, column) => columns[column]!.push(value))
    }
    await writeParts(dataSource, [...parts.values()])
    await dataSource.query(
      `INSERT INTO requests (id, status, started_at, completed_at, method, path, model, provider, stream, request_headers, request_body, request_body_bytes, request_body_is_json,
         api_key_fingerprint, input_tokens, output_tokens, cache_creation_input_tokens, cache_creation_5m_input_tokens, cache_creation_1h_input_tokens, cache_read_input_tokens,
         service_tier, cost_usd, price_id, cost_status, request_body_content_ids, response_body, response_body_bytes, http_status)
       SELECT id, 'COMPLETED', started_at, completed_at, 'POST', path, model, 'anthropic', stream, '{}'::jsonb, skeleton, octet_length(skeleton), true,
         key, input, output, cache_write, cache_write_5m, cache_write_1h, cache_read, tier, cost, price_id, cost_status, content_ids::uuid[], response, octet_length(response), 200
       FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::text[], $5::text[], $6::boolean[], $7::text[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[],
         $12::bigint[], $13::bigint[], $14::text[], $15::numeric[], $16::text[], $17::text[], $18::text[], $19::text[], $20::text[])
         AS t (id, started_at, completed_at, path, model, stream, key, input, output, cache_write, cache_write_5m, cache_write_1h, cache_read, tier, cost, price_id, cost_status,
           skeleton, content_ids, response)`,
      columns,
    )
    if (process.stdout.isTTY) process.stdout.write(`\r${done + BATCH} / ${records}`)
  }
  const rate = records / ((performance.now() - started) / 1000)
  // Fresh statistics, as autovacuum would gather them soon after such a load.
  await dataSource.query('VACUUM ANALYZE requests, contents, usage_rollups')
  return rate
}

if (require.main === module) {
  void (async () => {
    const store = await openBenchStore()
    const records = Number(process.env.BENCH_RECORDS ?? 1_000_000)
    const rate = await seedUsage(store.dataSource, { records, days: Number(process.env.BENCH_DAYS ?? 60), now: new Date() })
    process.stdout.write(`\nseeded ${records} records at ${Math.round(rate)} records/s (rollups kept by the triggers as they went)\n`)
    await store.close()
  })()
}
