/**
 * What keeping a conversation's totals costs a captured turn, as a session and the database grow:
 * one turn written as capture writes it (its start with its place in the conversation, then its
 * completion, each a transaction) at the end of a long session, with the totals' triggers on and
 * off; and the recount retention makes of that session when it deletes turns of it. Prints p50 and
 * p95 in milliseconds.
 *
 * Usage: `DATABASE_URL=postgres://… node -r @swc-node/register bench/conversation-totals.ts` on an
 * empty database, or BENCH_EMBEDDED_DIR=<empty dir> for PGlite. BENCH_TURNS (default 1000) sets the
 * session's length; BENCH_REQUESTS (default 100,000) other requests spread over BENCH_WEEKS (default
 * 52) weekly partitions in the past, as a year of use without retention leaves them; BENCH_RUNS
 * (default 100) the turns timed per case.
 */
import { randomUUID } from 'node:crypto'
import type { DataSource } from 'typeorm'
import { createWeekPartition, PARTITION_WEEK_MS, weekStartOf } from '../server/store/partitions'
import { openBenchStore } from './lib/bench-store'
import { fmt, percentile, table, timed } from './lib/stats'

const TOTALS_TRIGGERS = [
  ['requests', 'requests_total_conversation_inserts'],
  ['requests', 'requests_total_conversation_updates'],
  ['conversation_requests', 'conversation_requests_total_inserts'],
  ['conversation_requests', 'conversation_requests_total_deletes'],
] as const

const REQUEST_COLUMNS = `id, status, started_at, method, path, provider, stream, request_headers, request_body, request_body_bytes, request_body_is_json, model`

/** A session of `turns` finished turns in one thread, ending a minute ago; its conversation and thread ids. */
async function seedSession(db: DataSource, turns: number): Promise<{ conversationId: string; threadId: string }> {
  const conversationId = randomUUID()
  const threadId = randomUUID()
  await db.query(`INSERT INTO conversations (id, session_key, session_source, started_at, last_activity_at) VALUES ($1, $2, 'HEADER', now(), now())`, [conversationId, randomUUID()])
  await db.query(`INSERT INTO conversation_threads (id, conversation_id, kind, started_at, last_activity_at) VALUES ($1, $2, 'MAIN', now(), now())`, [threadId, conversationId])
  await db.query(
    `WITH turns AS (SELECT gen_random_uuid() AS id, now() - interval '1 minute' - g * interval '1 second' AS started_at FROM generate_series(1, $1) g),
     inserted AS (INSERT INTO requests (${REQUEST_COLUMNS}, completed_at, input_tokens, output_tokens, cost_usd, cost_status)
       SELECT id, 'COMPLETED', started_at, 'POST', '/v1/messages', 'anthropic', false, '{}', '{}', 2, true, 'claude-sonnet-4-5', started_at, 10, 20, 0.01, 'PRICED' FROM turns)
     INSERT INTO conversation_requests (request_id, conversation_id, thread_id, started_at, message_count, new_message_count) SELECT id, $2, $3, started_at, 1, 1 FROM turns`,
    [turns, conversationId, threadId],
  )
  return { conversationId, threadId }
}

/** `count` finished requests spread over the last `weeks` weeks, in 100 conversations of their own. */
async function seedOthers(db: DataSource, count: number, weeks: number): Promise<void> {
  const now = Date.now()
  for (let week = 1; week <= weeks; week++) for (const table of ['requests', 'stream_chunks'] as const) await createWeekPartition(db, table, weekStartOf(new Date(now - week * PARTITION_WEEK_MS)))
  if (count === 0) return
  await db.query(
    `INSERT INTO conversations (id, session_key, session_source, started_at, last_activity_at) SELECT id, id::text, 'HEADER', now(), now() FROM (SELECT gen_random_uuid() AS id FROM generate_series(1, 100)) g`,
  )
  await db.query(`INSERT INTO conversation_threads (id, conversation_id, kind, started_at, last_activity_at) SELECT id, id, 'MAIN', now(), now() FROM conversations WHERE session_key = id::text`)
  await db.query(
    `WITH conversation AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM conversations WHERE session_key = id::text),
     turns AS (SELECT gen_random_uuid() AS id, now() - interval '2 minutes' - random() * $2 * interval '7 days' AS started_at, g % 100 AS n FROM generate_series(1, $1) g),
     inserted AS (INSERT INTO requests (${REQUEST_COLUMNS}, completed_at, input_tokens, output_tokens, cost_usd, cost_status)
       SELECT id, 'COMPLETED', started_at, 'POST', '/v1/messages', 'anthropic', false, '{}', '{}', 2, true, 'claude-sonnet-4-5', started_at, 10, 20, 0.01, 'PRICED' FROM turns)
     INSERT INTO conversation_requests (request_id, conversation_id, thread_id, started_at, message_count, new_message_count)
       SELECT t.id, c.id, c.id, t.started_at, 1, 1 FROM turns t JOIN conversation c ON c.n = t.n`,
    [count, Math.max(weeks, 1)],
  )
}

/** One more turn of the session as capture writes it: the start with its place in the conversation, then the completion. */
async function writeTurn(db: DataSource, session: { conversationId: string; threadId: string }): Promise<void> {
  const id = randomUUID()
  const startedAt = new Date()
  await db.transaction(async (manager) => {
    await manager.query(`INSERT INTO requests (${REQUEST_COLUMNS}) VALUES ($1, 'IN_FLIGHT', $2, 'POST', '/v1/messages', 'anthropic', false, '{}', '{}', 2, true, 'claude-sonnet-4-5')`, [id, startedAt])
    await manager.query(`INSERT INTO conversation_requests (request_id, conversation_id, thread_id, started_at, message_count, new_message_count) VALUES ($1, $2, $3, $4, 1, 1)`, [
      id,
      session.conversationId,
      session.threadId,
      startedAt,
    ])
  })
  await db.query(`UPDATE requests SET status = 'COMPLETED', completed_at = now(), input_tokens = 10, output_tokens = 20, cost_usd = 0.01, cost_status = 'PRICED' WHERE id = $1 AND started_at = $2`, [
    id,
    startedAt,
  ])
}

async function setTotalsTriggers(db: DataSource, enabled: boolean): Promise<void> {
  for (const [table, trigger] of TOTALS_TRIGGERS) await db.query(`ALTER TABLE ${table} ${enabled ? 'ENABLE' : 'DISABLE'} TRIGGER ${trigger}`)
}

void (async () => {
  const store = await openBenchStore()
  const db = store.dataSource
  const turns = Number(process.env.BENCH_TURNS ?? 1000)
  const others = Number(process.env.BENCH_REQUESTS ?? 100_000)
  const weeks = Number(process.env.BENCH_WEEKS ?? 52)
  const runs = Number(process.env.BENCH_RUNS ?? 100)
  try {
    // Seeded without the triggers (they would only slow the seed), then counted once.
    await setTotalsTriggers(db, false)
    await seedOthers(db, others, weeks)
    const session = await seedSession(db, turns)
    await db.query(`SELECT conversation_totals_recount(ARRAY(SELECT id FROM conversations))`)
    await db.query('ANALYZE')

    const withoutTotals = await timed(runs, () => writeTurn(db, session))
    await setTotalsTriggers(db, true)
    const withTotals = await timed(runs, () => writeTurn(db, session))
    const recount = await timed(Math.max(3, Math.round(runs / 10)), () => db.query(`SELECT conversation_totals_recount($1::uuid[])`, [[session.conversationId]]))
    const [{ count, partitions }] = (await db.query(
      `SELECT (SELECT count(*)::int FROM requests) AS count, (SELECT count(*)::int FROM pg_inherits WHERE inhparent = 'requests'::regclass) AS partitions`,
    )) as [{ count: number; partitions: number }]

    const row = (name: string, times: number[]) => [name, fmt(percentile(times, 50)), fmt(percentile(times, 95))]
    process.stdout.write(`### Conversation totals on ${store.name}: a session of ${turns} turns among ${count} requests in ${partitions} partitions of requests\n\n`)
    process.stdout.write(
      `${table(['case', 'p50 ms', 'p95 ms'], [
        row('a turn written (start and completion), totals off', withoutTotals),
        row('a turn written (start and completion), totals kept', withTotals),
        row("recount of the session's totals (retention deleted turns of it)", recount),
      ])}\n`,
    )
  } finally {
    await store.close()
  }
})()
