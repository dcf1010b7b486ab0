/**
 * Conversations on a store of their own: how long grouping adds per captured request (its CPU in
 * the writer, and a batch's write time with and without it), then `conversation(id)` of a 200-turn
 * session with two subagents and `conversations(first: 50)` over 10,000 conversations, executed
 * against the API's schema in process (resolvers and SQL; no HTTP), p50 and p95 of 50 runs each.
 *
 * Usage: `node -r @swc-node/register bench/conversations.ts` (embedded PGlite in a temp dir), or
 * with DATABASE_URL set to an empty PostgreSQL database.
 */
import 'reflect-metadata'
import { Grader } from '../server/grading/grader'
import { HeaderRulesService } from '../server/header-rules/header-rules.service'
import { SettingsAudit } from '../server/settings/settings-audit'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { graphql } from 'graphql'
import { buildApiSchema, createApiContextFactory } from '../server/api'
import { createBatchGrouping } from '../server/conversations/batch-grouping'
import { ConversationsService } from '../server/conversations/conversations.service'
import { createMemoryBus } from '../server/live/memory-bus'
import { createLogger } from '../server/logger'
import type { RequestRecord } from '../server/records/request-record'
import type { HealthReport } from '../server/health/health-report'
import { RetentionService } from '../server/retention/retention.service'
import { createCaptureStore } from '../server/store/capture-store'
import { openStore } from '../server/store/data-source'
import { startEmbeddedPostgres } from '../server/store/embedded/embedded-postgres'
import { createRetentionStore } from '../server/store/retention-store'
import { claudeCodeSession, type TrafficCall } from '../test/support/claude-code-traffic'
import { fmt, percentile, table, timed } from './lib/stats'
import { NO_CHUNKS } from '../server/records/capture-op'

const RUNS = 50
const logger = createLogger('silent')

function recordOf(call: TrafficCall, startedAt: Date): RequestRecord {
  const requestBody = JSON.stringify(call.body)
  return {
    id: randomUUID(),
    status: 'COMPLETED',
    startedAt,
    completedAt: new Date(startedAt.getTime() + 2000),
    method: 'POST',
    path: call.path,
    query: null,
    userAgent: 'claude-cli/2.1.90 (external, cli)',
    model: call.body.model as string,
    routedModel: null,
    provider: 'anthropic',
    stream: call.body.stream === true,
    demoted: false,
    httpStatus: 200,
    upstreamRequestId: null,
    stopReason: 'end_turn',
    error: null,
    errorCode: null,
    responseHeadersMs: 300,
    ttfbMs: 320,
    durationMs: 2000,
    requestHeaders: { 'content-type': 'application/json', ...call.headers },
    requestBody,
    requestBodyBytes: Buffer.byteLength(requestBody),
    requestBodyIsJson: true,
    responseHeaders: {},
    responseBody: call.reply === null ? null : JSON.stringify({ id: 'msg_1', type: 'message', ...call.reply }),
    responseSse: null,
    responseBodyBytes: 100,
    usage: { inputTokens: 3, outputTokens: 120, cacheCreationInputTokens: 800, cacheCreation5mInputTokens: 800, cacheCreation1hInputTokens: 0, cacheReadInputTokens: 40_000, thinkingTokens: null, webSearchRequests: null, webFetchRequests: null, serviceTier: 'standard', inferenceGeo: null },
    apiKeyFingerprint: 'key:bench',
    organizationId: null,
    runId: null,
    headerRewrites: null,
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'claudescope-bench-conversations-'))
  // A loaded machine may take minutes to start the embedded database.
  const embedded = process.env.DATABASE_URL ? null : await startEmbeddedPostgres({ dataDir: path.join(dir, 'pglite'), logger, startTimeoutMs: 300_000 })
  const dataSource = await openStore(process.env.DATABASE_URL ?? embedded!.url)
  try {
    const bus = createMemoryBus()
    const grouping = createBatchGrouping({ dataSource, bus, logger })
    const grouped = createCaptureStore(dataSource, grouping)
    const plain = createCaptureStore(dataSource)
    const rows: (string | number)[][] = []

    // One session of 200 main turns and two 20-turn subagents, written request by request (start then completion), with and without grouping.
    const write = async (store: typeof grouped) => {
      const { calls } = claudeCodeSession({ sessionId: randomUUID(), mainTurns: 200, spawnAt: [50, 120], subagentTurns: 20 })
      const times: number[] = []
      let at = Date.UTC(2026, 0, 1)
      for (const call of calls) {
        const record = recordOf(call, new Date((at += 1000)))
        const started = performance.now()
        await store.writeBatch([{ kind: 'start', record: { ...record, status: 'IN_FLIGHT', completedAt: null, responseBody: null } }], () => false)
        await store.writeBatch([{ kind: 'complete', record, chunks: NO_CHUNKS }], () => true)
        times.push(performance.now() - started)
      }
      return { times, requests: calls.length }
    }
    const without = await write(plain)
    const before = grouping.grouper.stats
    const withGrouping = await write(grouped)
    const after = grouping.grouper.stats
    const groupingMsPerRequest = (after.groupingMs - before.groupingMs) / withGrouping.requests
    rows.push(['grouping CPU per request (writer)', fmt(groupingMsPerRequest, 3), '', `${withGrouping.requests} requests`])
    rows.push(['start + completion writes, without grouping', fmt(percentile(without.times, 50)), fmt(percentile(without.times, 95)), ''])
    rows.push(['start + completion writes, with grouping', fmt(percentile(withGrouping.times, 50)), fmt(percentile(withGrouping.times, 95)), ''])

    // 10,000 more conversations for the list.
    await dataSource.query(
      `INSERT INTO conversations (id, session_key, session_source, title, started_at, last_activity_at, request_count, models, input_tokens, output_tokens)
       SELECT gen_random_uuid(), 'bench-' || i, 'HEADER', 'Conversation ' || i, now() - make_interval(secs => i * 60), now() - make_interval(secs => i * 30), 40, ARRAY['claude-sonnet-4-5'], 1000, 2000
       FROM generate_series(1, 10000) AS i`,
    )
    await dataSource.query('ANALYZE')

    const schema = await buildApiSchema()
    const readHealth = () => ({}) as HealthReport
    const settingsAudit = new SettingsAudit(dataSource)
    const headerRules = new HeaderRulesService({ dataSource, bus, audit: settingsAudit, instanceId: 'bench', logger })
    const context = createApiContextFactory({
      dataSource,
      bus,
      readHealth,
      retention: new RetentionService({ store: createRetentionStore(dataSource), logger }),
      grader: new Grader({ forwardUrl: 'http://127.0.0.1:9', apiKey: undefined, model: 'claude-sonnet-4-5', timeoutMs: 1000 }),
      headerRules,
      settingsAudit,
    })
    const run = async (source: string, variableValues?: Record<string, unknown>) => {
      const result = await graphql({ schema, source, variableValues, contextValue: context({ remoteAddress: null, userAgent: 'bench' }) })
      if (result.errors) throw new Error(JSON.stringify(result.errors))
      return result.data as Record<string, any>
    }
    const [{ id }] = (await dataSource.query(`SELECT id FROM conversations ORDER BY request_count DESC LIMIT 1`)) as [{ id: string }]
    const detail = `query ($id: ID!) { conversation(id: $id) { id title requestCount models usage { inputTokens cacheReadInputTokens }
      threads { id kind parentThreadId parentToolUseId requestCount messageCount messages { position role requestId }
        turns { requestId startedAt durationMs usage { inputTokens outputTokens cacheReadInputTokens cacheCreationInputTokens } } } } }`
    const shape = await run(detail, { id })
    const threads = shape.conversation.threads as Array<{ kind: string; messages: unknown[] }>
    const detailTimes = await timed(RUNS, () => run(detail, { id }))
    rows.push([`conversation(id): ${shape.conversation.requestCount} requests, ${threads.length} threads, ${threads.reduce((n, t) => n + t.messages.length, 0)} messages`, fmt(percentile(detailTimes, 50)), fmt(percentile(detailTimes, 95)), ''])
    const service = new ConversationsService(dataSource)
    const sqlTimes = await timed(RUNS, async () => {
      const [threadRows] = await Promise.all([service.threads(id), service.turns(id), service.get(id)])
      await service.messages(threadRows.map((t) => t.id))
    })
    rows.push(['  of which the four queries (service, no GraphQL)', fmt(percentile(sqlTimes, 50)), fmt(percentile(sqlTimes, 95)), ''])
    const withText = detail.replace('messages { position role requestId }', 'messages { position role requestId contentText }')
    const textTimes = await timed(RUNS, () => run(withText, { id }))
    rows.push(['conversation(id), message texts too', fmt(percentile(textTimes, 50)), fmt(percentile(textTimes, 95)), ''])
    const list = 'query ($after: String) { conversations(first: 50, after: $after) { nodes { id title requestCount lastActivityAt models usage { inputTokens } } pageInfo { endCursor } } }'
    const listTimes = await timed(RUNS, () => run(list))
    const cursor = (await run(list)).conversations.pageInfo.endCursor as string
    const deepTimes = await timed(RUNS, () => run(list, { after: cursor }))
    rows.push(['conversations(first: 50) over 10,001', fmt(percentile(listTimes, 50)), fmt(percentile(listTimes, 95)), ''])
    rows.push(['conversations(first: 50, after: page 1)', fmt(percentile(deepTimes, 50)), fmt(percentile(deepTimes, 95)), ''])
    const countTimes = await timed(RUNS, () => run('{ conversations(first: 50) { totalCount } }'))
    rows.push(['conversations totalCount over 10,001', fmt(percentile(countTimes, 50)), fmt(percentile(countTimes, 95)), ''])

    console.log(`\nConversations on ${embedded ? 'embedded PGlite' : 'PostgreSQL'} (ms)\n`)
    console.log(table(['what', 'p50', 'p95', 'note'], rows))
    await bus.close()
  } finally {
    await dataSource.destroy()
    await embedded?.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
