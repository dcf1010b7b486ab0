import type { ConversationWrites } from '../records/conversation-record'
import type { Statement } from './batch-statements'
import { CONVERSATION_MESSAGES_TABLE, CONVERSATION_REQUESTS_TABLE, CONVERSATION_THREADS_TABLE, CONVERSATIONS_TABLE } from './tables/conversations.table'

/**
 * The statements that write a batch's conversation rows, after its requests in the same
 * transaction. Rows go in as arrays (`unnest`), a fixed number of parameters whatever the batch
 * holds. Every statement may run again for the same requests (a retried batch, a spool replay):
 * inserts keep what is there. The totals of conversations and threads are the database's to keep:
 * triggers add each turn linked here, and each change of its request, in the same transaction.
 */
export function conversationStatements(writes: ConversationWrites): Statement[] {
  const inserts: Statement[] = []
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
    // A thread's messages only grow (none is ever deleted): its count is the highest position held, plus one.
    const messageCounts = new Map<string, number>()
    for (const a of assignments) for (const m of a.newMessages) messageCounts.set(a.thread.id, Math.max(messageCounts.get(a.thread.id) ?? 0, m.position + 1))
    inserts.push({
      text: `INSERT INTO ${CONVERSATION_THREADS_TABLE} (id, conversation_id, kind, parent_thread_id, parent_tool_use_id, agent_id, purpose, system_key, started_at, last_activity_at, message_count)
        SELECT id, conversation_id, kind, parent_thread_id, parent_tool_use_id, agent_id, purpose, system_key, started_at, started_at, message_count
        FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::integer[])
          AS v (id, conversation_id, kind, parent_thread_id, parent_tool_use_id, agent_id, purpose, system_key, started_at, message_count)
        ON CONFLICT (id) DO UPDATE SET parent_thread_id = COALESCE(${CONVERSATION_THREADS_TABLE}.parent_thread_id, EXCLUDED.parent_thread_id),
          parent_tool_use_id = COALESCE(${CONVERSATION_THREADS_TABLE}.parent_tool_use_id, EXCLUDED.parent_tool_use_id),
          message_count = GREATEST(${CONVERSATION_THREADS_TABLE}.message_count, EXCLUDED.message_count)`,
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
        threads.map((a) => messageCounts.get(a.thread.id) ?? 0),
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
