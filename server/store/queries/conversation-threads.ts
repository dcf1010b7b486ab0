import type { DataSource, EntityManager } from 'typeorm'
import type { StoredThread, ThreadKind } from '../../records/conversation-record'
import { CONVERSATION_MESSAGES_TABLE, CONVERSATION_THREADS_TABLE, CONVERSATIONS_TABLE } from '../tables/conversations.table'

/**
 * The threads of the conversations `ids` names, with their messages in order (keys, content ids,
 * introducing requests): what grouping held in memory before a restart. Two queries.
 */
export async function readConversationThreads(db: DataSource | EntityManager, ids: readonly string[]): Promise<StoredThread[]> {
  if (ids.length === 0) return []
  const threads = (await db.query(
    `SELECT t.id, t.conversation_id, t.kind, t.parent_thread_id, t.parent_tool_use_id, t.agent_id, t.purpose, t.system_key, t.started_at,
       c.session_key, c.session_source, c.title IS NOT NULL AS has_title
     FROM ${CONVERSATION_THREADS_TABLE} t JOIN ${CONVERSATIONS_TABLE} c ON c.id = t.conversation_id
     WHERE t.conversation_id = ANY($1::uuid[]) ORDER BY t.started_at, t.id`,
    [ids],
  )) as Array<Record<string, unknown> & { id: string; started_at: Date }>
  if (threads.length === 0) return []
  const messages = (await db.query(
    `SELECT thread_id, position, content_id, request_id, role, message_key FROM ${CONVERSATION_MESSAGES_TABLE} WHERE thread_id = ANY($1::uuid[]) ORDER BY thread_id, position`,
    [threads.map((t) => t.id)],
  )) as Array<{ thread_id: string; position: number; content_id: string; request_id: string; role: string | null; message_key: string }>
  const byThread = new Map<string, StoredThread['messages']>()
  for (const m of messages) {
    let list = byThread.get(m.thread_id)
    if (list === undefined) byThread.set(m.thread_id, (list = []))
    list.push({ position: m.position, contentId: m.content_id, requestId: m.request_id, role: m.role, key: m.message_key })
  }
  return threads.map((t) => ({
    conversation: { id: t.conversation_id as string, sessionKey: t.session_key as string | null, sessionSource: t.session_source as string },
    conversationHasTitle: t.has_title as boolean,
    thread: {
      id: t.id,
      kind: t.kind as ThreadKind,
      parentThreadId: t.parent_thread_id as string | null,
      parentToolUseId: t.parent_tool_use_id as string | null,
      agentId: t.agent_id as string | null,
      purpose: t.purpose as string | null,
      systemKey: t.system_key as string | null,
    },
    startedAt: t.started_at,
    messages: byThread.get(t.id) ?? [],
  }))
}

/**
 * The conversations without a session whose threads start with a message of `firstMessageKeys`:
 * where a sessionless request found after a restart may go on (`conversation_messages_first_key_idx`).
 */
export async function readSessionlessConversationIds(db: DataSource | EntityManager, firstMessageKeys: readonly string[]): Promise<string[]> {
  if (firstMessageKeys.length === 0) return []
  const rows = (await db.query(
    `SELECT DISTINCT t.conversation_id FROM ${CONVERSATION_MESSAGES_TABLE} m JOIN ${CONVERSATION_THREADS_TABLE} t ON t.id = m.thread_id JOIN ${CONVERSATIONS_TABLE} c ON c.id = t.conversation_id
     WHERE m.position = 0 AND m.message_key = ANY($1::text[]) AND c.session_key IS NULL`,
    [firstMessageKeys],
  )) as Array<{ conversation_id: string }>
  return rows.map((row) => row.conversation_id)
}
