import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createBatchGrouping } from '../../server/conversations/batch-grouping'
import { createMemoryBus } from '../../server/live/memory-bus'
import { createLogger } from '../../server/logger'
import { NO_CHUNKS, type CaptureOp } from '../../server/records/capture-op'
import type { RequestRecord } from '../../server/records/request-record'
import { createCaptureStore, type CaptureStore } from '../../server/store/capture-store'
import { deleteRequests } from '../../server/store/queries/delete-requests'
import { inFlight, conversationTurnRecord } from '../support/record-fixtures'
import { undoMigrationsThrough, useMigratedStore } from '../support/test-database'

const store = useMigratedStore()

/** What a conversation's totals read of its turns, and of each thread's. */
const TOTALS = `count(*)::int AS request_count, min(started_at) AS started_at, max(last_activity_at) AS last_activity_at`
const CONVERSATION_TOTALS = `${TOTALS}, COALESCE(array_agg(DISTINCT model ORDER BY model) FILTER (WHERE model IS NOT NULL), '{}') AS models,
  COALESCE(sum(input_tokens), 0)::int AS input_tokens, COALESCE(sum(output_tokens), 0)::int AS output_tokens,
  COALESCE(sum(cache_creation_input_tokens), 0)::int AS cache_creation_input_tokens, COALESCE(sum(cache_read_input_tokens), 0)::int AS cache_read_input_tokens,
  COALESCE(sum(cost_usd), 0)::float8 AS cost_usd, (count(*) FILTER (WHERE unpriced))::int AS unpriced_turn_count, (count(*) FILTER (WHERE imported))::int AS imported_turn_count`

/** Each turn of the conversation as its request (or imported turn) says it is now: what the stored totals must add up to. */
const TURNS = `SELECT cr.thread_id, COALESCE(r.started_at, i.started_at) AS started_at, COALESCE(r.completed_at, r.started_at, i.completed_at, i.started_at) AS last_activity_at,
    COALESCE(r.model, i.model) AS model, COALESCE(r.input_tokens, i.input_tokens) AS input_tokens, COALESCE(r.output_tokens, i.output_tokens) AS output_tokens,
    COALESCE(r.cache_creation_input_tokens, i.cache_creation_input_tokens) AS cache_creation_input_tokens, COALESCE(r.cache_read_input_tokens, i.cache_read_input_tokens) AS cache_read_input_tokens,
    COALESCE(r.cost_usd, i.cost_usd) AS cost_usd, COALESCE(r.status <> 'IN_FLIGHT', true) AND COALESCE(r.cost_status, i.cost_status, 'UNKNOWN_MODEL') = 'UNKNOWN_MODEL' AS unpriced,
    i.id IS NOT NULL AS imported
  FROM conversation_requests cr LEFT JOIN requests r ON r.id = cr.request_id LEFT JOIN imported_turns i ON i.id = cr.request_id WHERE cr.conversation_id = $1`

interface Totals {
  stored: unknown
  counted: unknown
  threads: { stored: unknown; counted: unknown }
}

/** A conversation's totals as stored, and as counted from its turns now; the same for its threads. */
async function totalsOf(conversationId: string): Promise<Totals> {
  const query = (sql: string) => store.dataSource.query(sql, [conversationId]) as Promise<unknown[]>
  const [stored] = await query(
    `SELECT request_count, started_at, last_activity_at, models, input_tokens::int, output_tokens::int, cache_creation_input_tokens::int, cache_read_input_tokens::int,
       COALESCE(cost_usd, 0)::float8 AS cost_usd, unpriced_turn_count, imported_turn_count FROM conversations WHERE id = $1`,
  )
  const [counted] = await query(`SELECT ${CONVERSATION_TOTALS} FROM (${TURNS}) t`)
  return {
    stored,
    counted,
    threads: {
      stored: await query(`SELECT id AS thread_id, request_count, started_at, last_activity_at FROM conversation_threads WHERE conversation_id = $1 ORDER BY id`),
      counted: await query(`SELECT thread_id, ${TOTALS} FROM (${TURNS}) t GROUP BY thread_id ORDER BY thread_id`),
    },
  }
}

/** A conversation's stored totals, once checked against a count made from its turns (its threads' too). */
async function countedTotalsOf(conversationId: string): Promise<unknown> {
  const totals = await totalsOf(conversationId)
  expect(totals.stored).toEqual(totals.counted)
  expect(totals.threads.stored).toEqual(totals.threads.counted)
  return totals.stored
}

/** A capture store that groups into conversations, as the app's writer does. */
function groupingStore(): CaptureStore {
  return createCaptureStore(store.dataSource, createBatchGrouping({ dataSource: store.dataSource, bus: createMemoryBus(), logger: createLogger('silent') }))
}

/** `turns` turns of one Claude Code session, finished. */
function session(turns: number): RequestRecord[] {
  const sessionId = randomUUID()
  return Array.from({ length: turns }, (_, turn) => conversationTurnRecord(sessionId, turn + 1, { requestHeaders: { 'content-type': 'application/json', 'x-claude-code-session-id': sessionId } }))
}

const starts = (records: RequestRecord[]): CaptureOp[] => records.map((record) => ({ kind: 'start', record: inFlight(record) }))
const completions = (records: RequestRecord[]): CaptureOp[] => records.map((record) => ({ kind: 'complete', record, chunks: NO_CHUNKS }))

async function conversationOf(requestId: string): Promise<string> {
  const [row] = (await store.dataSource.query(`SELECT conversation_id FROM conversation_requests WHERE request_id = $1`, [requestId])) as Array<{ conversation_id: string }>
  return row!.conversation_id
}

/** A session of `length` finished turns, stored in one batch as capture writes it, and its conversation. */
async function storedSession(length: number): Promise<{ turns: RequestRecord[]; conversation: string }> {
  const turns = session(length)
  await groupingStore().writeBatch(completions(turns), () => false)
  return { turns, conversation: await conversationOf(turns[0]!.id) }
}

describe("a conversation's totals", () => {
  it('count each turn once when its batches are written again, as a retried batch or a spool replay writes them', async () => {
    const capture = groupingStore()
    const turns = session(3)
    await capture.writeBatch(starts(turns), () => false)
    const conversation = await conversationOf(turns[0]!.id)
    expect(await countedTotalsOf(conversation)).toMatchObject({ request_count: 3, input_tokens: 0, unpriced_turn_count: 0 })

    await capture.writeBatch(completions(turns), () => true)
    await capture.writeBatch(completions(turns), () => true)
    await groupingStore().writeBatch([...starts(turns), ...completions(turns)], () => false)

    expect(await countedTotalsOf(conversation)).toMatchObject({ request_count: 3, input_tokens: 30, output_tokens: 15, unpriced_turn_count: 3 })
  })

  it('follow their turns when the turns are priced again, as a price change does', async () => {
    const { turns, conversation } = await storedSession(2)

    await store.dataSource.query(`UPDATE requests SET cost_usd = 0.25, cost_status = 'PRICED' WHERE id = $1`, [turns[0]!.id])
    expect(await countedTotalsOf(conversation)).toMatchObject({ cost_usd: 0.25, unpriced_turn_count: 1 })

    await store.dataSource.query(`UPDATE requests SET cost_usd = 0.5, cost_status = 'PRICED' WHERE id = ANY($1::uuid[])`, [turns.map((turn) => turn.id)])
    expect(await countedTotalsOf(conversation)).toMatchObject({ cost_usd: 1, unpriced_turn_count: 0 })
  })

  it('lose the turns retention deletes, and only those', async () => {
    const { turns, conversation } = await storedSession(3)

    await deleteRequests(store.dataSource, [{ id: turns[0]!.id, startedAt: turns[0]!.startedAt }])

    expect(await countedTotalsOf(conversation)).toMatchObject({ request_count: 2, input_tokens: 20 })
  })

  it('name only the models their turns use now, after a turn changed its model', async () => {
    const { turns, conversation } = await storedSession(2)

    await store.dataSource.query(`UPDATE requests SET model = 'claude-haiku-4-5' WHERE id = ANY($1::uuid[])`, [turns.map((turn) => turn.id)])

    expect(await countedTotalsOf(conversation)).toMatchObject({ models: ['claude-haiku-4-5'] })
  })

  // Last: it takes the triggers away for a while.
  it('are counted again from their turns by the migration that keeps them, mending totals left stale before it', async () => {
    // Stored by today's writer, whose statements need today's tables; then made stale, as before the trigger.
    const { conversation } = await storedSession(2)
    await undoMigrationsThrough(store.dataSource, 'KeepConversationTotalsByTrigger1798300000000')
    await store.dataSource.query(`UPDATE conversations SET request_count = 0, input_tokens = 0 WHERE id = $1`, [conversation])
    expect((await totalsOf(conversation)).stored).toMatchObject({ request_count: 0 })

    await store.dataSource.runMigrations({ transaction: 'each' })

    expect(await countedTotalsOf(conversation)).toMatchObject({ request_count: 2, input_tokens: 20 })
  })
})
