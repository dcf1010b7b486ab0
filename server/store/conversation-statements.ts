import type { ConversationWrites } from '../records/conversation-record'
import type { Statement } from './batch-statements'
import { CONVERSATION_MESSAGES_TABLE, CONVERSATION_REQUESTS_TABLE, CONVERSATION_THREADS_TABLE, CONVERSATIONS_TABLE, IMPORTED_TURNS_TABLE } from './tables/conversations.table'
import { REQUESTS_TABLE } from './tables/requests.table'

/**
 * A conversation's turns with what totals read of them, whichever they are: a captured request,
 * or a turn imported from a transcript (no HTTP exchange). A turn is unpriced when it finished
 * without a cost the usage domain could compute (an unknown model, or not priced yet).
 */
const TURN_FACTS = `SELECT cr.conversation_id, cr.thread_id, COALESCE(r.started_at, i.started_at) AS started_at,
    COALESCE(r.completed_at, r.started_at, i.completed_at, i.started_at) AS last_activity_at, COALESCE(r.model, i.model) AS model,
    COALESCE(r.input_tokens, i.input_tokens) AS input_tokens, COALESCE(r.output_tokens, i.output_tokens) AS output_tokens,
    COALESCE(r.cache_creation_input_tokens, i.cache_creation_input_tokens) AS cache_creation_input_tokens,
    COALESCE(r.cache_read_input_tokens, i.cache_read_input_tokens) AS cache_read_input_tokens, COALESCE(r.cost_usd, i.cost_usd) AS cost_usd,
    COALESCE(r.status <> 'IN_FLIGHT', true) AND COALESCE(r.cost_status, i.cost_status, 'UNKNOWN_MODEL') = 'UNKNOWN_MODEL' AS is_unpriced, i.id IS NOT NULL AS is_imported
  FROM ${CONVERSATION_REQUESTS_TABLE} cr LEFT JOIN ${REQUESTS_TABLE} r ON r.id = cr.request_id LEFT JOIN ${IMPORTED_TURNS_TABLE} i ON i.id = cr.request_id`

/**
 * The statements that write a batch's conversation rows, after its requests in the same
 * transaction. Rows go in as arrays (`unnest`), a fixed number of parameters whatever the batch
 * holds. Every statement may run again for the same requests (a retried batch, a spool replay):
 * inserts keep what is there, and totals are recounted from the requests, never added to.
 */
export function conversationStatements(writes: ConversationWrites): Statement[] {
  const inserts: Statement[] = []
  const recounts: Statement[] = []
  const statements: Statement[] = []
  const { assignments } = writes
  if (assignments.length > 0) {
    const conversations = new Map(assignments.map((a) => [a.conversation.id, a]))
    const titles = new Map<string, string>()
    for (const a of assignments) if (a.title !== null && !titles.has(a.conversation.id)) titles.set(a.conversation.id, a.title)
    const rows = [...conversations.values()]
    inserts.push({
      text: `INSERT INTO ${CONVERSATIONS_TABLE} (id, session_key, session_source, title, started_at, last_activity_at)
        SELECT id, session_key, session_source, title, started_at, started_at FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[]) AS v (id, session_key, session_source, title, started_at)
        ON CONFLICT (id) DO UPDATE SET title = COALESCE(${CONVERSATIONS_TABLE}.title, EXCLUDED.title)`,
      values: [rows.map((a) => a.conversation.id), rows.map((a) => a.conversation.sessionKey), rows.map((a) => a.conversation.sessionSource), rows.map((a) => titles.get(a.conversation.id) ?? null), rows.map((a) => a.startedAt)],
    })
    const threads = [...new Map(assignments.map((a) => [a.thread.id, a])).values()]
    inserts.push({
      text: `INSERT INTO ${CONVERSATION_THREADS_TABLE} (id, conversation_id, kind, parent_thread_id, parent_tool_use_id, agent_id, purpose, system_key, started_at, last_activity_at)
        SELECT id, conversation_id, kind, parent_thread_id, parent_tool_use_id, agent_id, purpose, system_key, started_at, started_at
        FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[]) AS v (id, conversation_id, kind, parent_thread_id, parent_tool_use_id, agent_id, purpose, system_key, started_at)
        ON CONFLICT (id) DO UPDATE SET parent_thread_id = COALESCE(${CONVERSATION_THREADS_TABLE}.parent_thread_id, EXCLUDED.parent_thread_id),
          parent_tool_use_id = COALESCE(${CONVERSATION_THREADS_TABLE}.parent_tool_use_id, EXCLUDED.parent_tool_use_id)`,
      values: [
        threads.map((a) => a.thread.id),
        threads.map((a) => a.conversation.id),
        threads.map((a) => a.thread.kind),
        threads.map((a) => a.thread.parentThreadId),
        threads.map((a) => a.thread.parentToolUseId),
        threads.map((a) => a.thread.agentId),
        threads.map((a) => a.thread.purpose),
        threads.map((a) => a.thread.systemKey),
        threads.map((a) => a.startedAt),
      ],
    })
    const messages = assignments.flatMap((a) => a.newMessages.map((m) => ({ threadId: a.thread.id, ...m })))
    if (messages.length > 0) {
      inserts.push({
        text: `INSERT INTO ${CONVERSATION_MESSAGES_TABLE} (thread_id, position, content_id, request_id, role, message_key)
          SELECT * FROM unnest($1::uuid[], $2::integer[], $3::uuid[], $4::uuid[], $5::text[], $6::text[]) ON CONFLICT DO NOTHING`,
        values: [messages.map((m) => m.threadId), messages.map((m) => m.position), messages.map((m) => m.contentId), messages.map((m) => m.requestId), messages.map((m) => m.role), messages.map((m) => m.key)],
      })
    }
    inserts.push({
      text: `INSERT INTO ${CONVERSATION_REQUESTS_TABLE} (request_id, conversation_id, thread_id, started_at, message_count, new_message_count)
        SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::timestamptz[], $5::integer[], $6::integer[]) ON CONFLICT (request_id) DO NOTHING`,
      values: [assignments.map((a) => a.requestId), assignments.map((a) => a.conversation.id), assignments.map((a) => a.thread.id), assignments.map((a) => a.startedAt), assignments.map((a) => a.messageCount), assignments.map((a) => a.newMessages.length)],
    })
  }
  if (inserts.length > 0) statements.push(chained(inserts))
  if (writes.links.length > 0) {
    statements.push({
      text: `UPDATE ${CONVERSATION_THREADS_TABLE} t SET parent_thread_id = v.parent_thread_id, parent_tool_use_id = COALESCE(v.parent_tool_use_id, t.parent_tool_use_id)
        FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS v (id, parent_thread_id, parent_tool_use_id) WHERE t.id = v.id`,
      values: [writes.links.map((l) => l.threadId), writes.links.map((l) => l.parentThreadId), writes.links.map((l) => l.parentToolUseId)],
    })
  }
  if (writes.touchedConversationIds.length > 0) {
    recounts.push({
      text: `UPDATE ${CONVERSATIONS_TABLE} c SET request_count = s.request_count, started_at = s.started_at, last_activity_at = s.last_activity_at, models = s.models,
          input_tokens = s.input_tokens, output_tokens = s.output_tokens, cache_creation_input_tokens = s.cache_creation_input_tokens, cache_read_input_tokens = s.cache_read_input_tokens,
          cost_usd = s.cost_usd, unpriced_turn_count = s.unpriced_turn_count, imported_turn_count = s.imported_turn_count
        FROM (SELECT t.conversation_id, count(*)::integer AS request_count, min(t.started_at) AS started_at, max(t.last_activity_at) AS last_activity_at,
            COALESCE(array_agg(DISTINCT t.model ORDER BY t.model) FILTER (WHERE t.model IS NOT NULL), '{}') AS models,
            COALESCE(sum(t.input_tokens), 0) AS input_tokens, COALESCE(sum(t.output_tokens), 0) AS output_tokens,
            COALESCE(sum(t.cache_creation_input_tokens), 0) AS cache_creation_input_tokens, COALESCE(sum(t.cache_read_input_tokens), 0) AS cache_read_input_tokens,
            sum(t.cost_usd) AS cost_usd, (count(*) FILTER (WHERE t.is_unpriced))::integer AS unpriced_turn_count, (count(*) FILTER (WHERE t.is_imported))::integer AS imported_turn_count
          FROM (${TURN_FACTS} WHERE cr.conversation_id = ANY($1::uuid[])) t GROUP BY t.conversation_id) s
        WHERE c.id = s.conversation_id`,
      values: [writes.touchedConversationIds],
    })
  }
  if (writes.touchedThreadIds.length > 0) {
    recounts.push({
      text: `UPDATE ${CONVERSATION_THREADS_TABLE} th SET request_count = s.request_count, started_at = s.started_at, last_activity_at = s.last_activity_at,
          message_count = COALESCE((SELECT max(m.position) + 1 FROM ${CONVERSATION_MESSAGES_TABLE} m WHERE m.thread_id = th.id), 0)
        FROM (SELECT t.thread_id, count(*)::integer AS request_count, min(t.started_at) AS started_at, max(t.last_activity_at) AS last_activity_at
          FROM (${TURN_FACTS} WHERE cr.thread_id = ANY($1::uuid[])) t GROUP BY t.thread_id) s
        WHERE th.id = s.thread_id`,
      values: [writes.touchedThreadIds],
    })
  }
  // Totals read the rows written before: a statement of their own, after the inserts.
  if (recounts.length > 0) statements.push(chained(recounts))
  return statements
}

/**
 * Statements that touch different rows as one (data-modifying WITH parts all run), their
 * parameters renumbered: one round trip instead of several.
 */
function chained(parts: Statement[]): Statement {
  if (parts.length === 1) return parts[0]!
  const values: unknown[] = []
  const texts = parts.map((part) => {
    const offset = values.length
    values.push(...part.values)
    return part.text.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`)
  })
  return { text: `WITH ${texts.slice(0, -1).map((text, i) => `part${i} AS (${text})`).join(', ')} ${texts.at(-1)!}`, values }
}
