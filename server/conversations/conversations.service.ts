import type { DataSource } from 'typeorm'
import type { RequestStatus, UsageRecord } from '../records/request-record'
import type { ThreadKind } from '../records/conversation-record'
import { decodeCursor, encodeCursor, type PageInfo } from '../graphql/connection'
import { checkPageSize } from '../graphql/page-size'
import { readContentTexts } from '../store/contents/content-texts'
import { CONVERSATION_MESSAGES_TABLE, CONVERSATION_REQUESTS_TABLE, CONVERSATION_THREADS_TABLE, CONVERSATIONS_TABLE } from '../store/tables/conversations.table'
import { REQUESTS_TABLE } from '../store/tables/requests.table'
import { conversationFilterSql, type ConversationFilterValues } from './conversation-filter'
import { num, TURN_USAGE_COLUMNS, usageOfRow } from './turn-usage'
import type { SessionSource } from './session-key'

/** A conversation row as the API reads it; threads and turns are loaded when asked for. */
export interface ConversationSummary {
  id: string
  sessionId: string | null
  sessionSource: SessionSource
  title: string | null
  startedAt: Date
  lastActivityAt: Date
  requestCount: number
  models: string[]
  usage: { inputTokens: number; outputTokens: number; cacheCreationInputTokens: number; cacheReadInputTokens: number }
  costUsd: null
}

export interface ThreadSummary {
  id: string
  conversationId: string
  kind: ThreadKind
  parentThreadId: string | null
  parentToolUseId: string | null
  agentId: string | null
  purpose: string | null
  startedAt: Date
  lastActivityAt: Date
  requestCount: number
  messageCount: number
}

export interface TurnSummary {
  requestId: string
  threadId: string
  startedAt: Date
  completedAt: Date | null
  model: string | null
  path: string
  status: RequestStatus
  stopReason: string | null
  ttfbMs: number | null
  durationMs: number | null
  usage: UsageRecord | null
  /** What the turn cost in USD; null when it is not priced (yet, or its model is unknown). */
  costUsd: number | null
  messageCount: number
  newMessageCount: number
}

export interface MessageRow {
  threadId: string
  position: number
  role: string | null
  contentId: string
  requestId: string
}

export interface ConversationPage {
  nodes: ConversationSummary[]
  edges: { cursor: string; node: ConversationSummary }[]
  pageInfo: PageInfo
  filter: ConversationFilterValues | null
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const ACTIVITY_TEXT = `to_char(c.last_activity_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
const ACTIVITY_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/
type ConversationCursor = readonly [lastActivityAt: string, id: string]
const isConversationCursor = (parts: readonly string[]): parts is ConversationCursor =>
  parts.length === 2 && ACTIVITY_PATTERN.test(parts[0]!) && !Number.isNaN(Date.parse(parts[0]!)) && UUID.test(parts[1]!)

const CONVERSATION_COLUMNS = `c.id, c.session_key, c.session_source, c.title, c.started_at, c.last_activity_at, c.request_count, c.models,
  c.input_tokens, c.output_tokens, c.cache_creation_input_tokens, c.cache_read_input_tokens`

interface ConversationRow {
  id: string
  session_key: string | null
  session_source: SessionSource
  title: string | null
  started_at: Date
  last_activity_at: Date
  request_count: number
  models: string[]
  input_tokens: string
  output_tokens: string
  cache_creation_input_tokens: string
  cache_read_input_tokens: string
  cursor_activity?: string
}

function toConversation(row: ConversationRow): ConversationSummary {
  return {
    id: row.id,
    sessionId: row.session_key,
    sessionSource: row.session_source,
    title: row.title,
    startedAt: row.started_at,
    lastActivityAt: row.last_activity_at,
    requestCount: row.request_count,
    models: row.models,
    usage: { inputTokens: Number(row.input_tokens), outputTokens: Number(row.output_tokens), cacheCreationInputTokens: Number(row.cache_creation_input_tokens), cacheReadInputTokens: Number(row.cache_read_input_tokens) },
    costUsd: null,
  }
}


/**
 * Reads conversations from the rows grouping stored (see conversation-statements): a list pages
 * by keyset on (last_activity_at DESC, id DESC), which `conversations_last_activity_idx` serves;
 * a conversation's threads, turns and messages are each one indexed query.
 */
export class ConversationsService {
  constructor(private readonly dataSource: DataSource) {}

  async list(filter: ConversationFilterValues | null | undefined, first: number, after?: string | null): Promise<ConversationPage> {
    const size = checkPageSize(first)
    const { sql, values } = conversationFilterSql(filter, 1)
    if (after) {
      const [activity, id] = decodeCursor(after, isConversationCursor)
      values.push(activity, id)
      sql.push(`(c.last_activity_at, c.id) < ($${values.length - 1}::timestamptz, $${values.length}::uuid)`)
    }
    values.push(size + 1)
    const rows = (await this.dataSource.query(
      `SELECT ${CONVERSATION_COLUMNS}, ${ACTIVITY_TEXT} AS cursor_activity FROM ${CONVERSATIONS_TABLE} c
       ${sql.length > 0 ? `WHERE ${sql.join(' AND ')}` : ''} ORDER BY c.last_activity_at DESC, c.id DESC LIMIT $${values.length}`,
      values,
    )) as ConversationRow[]
    const edges = rows.slice(0, size).map((row) => ({ cursor: encodeCursor([row.cursor_activity!, row.id]), node: toConversation(row) }))
    return {
      nodes: edges.map((edge) => edge.node),
      edges,
      pageInfo: { hasNextPage: rows.length > size, hasPreviousPage: Boolean(after), startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
      filter: filter ?? null,
    }
  }

  async count(filter: ConversationFilterValues | null | undefined): Promise<number> {
    const { sql, values } = conversationFilterSql(filter, 1)
    const [row] = (await this.dataSource.query(`SELECT count(*)::integer AS n FROM ${CONVERSATIONS_TABLE} c ${sql.length > 0 ? `WHERE ${sql.join(' AND ')}` : ''}`, values)) as [{ n: number }]
    return row.n
  }

  async get(id: string): Promise<ConversationSummary | null> {
    return (await this.getMany([id]))[0] ?? null
  }

  /** Conversations by id, in the order of `ids`; null where there is none. */
  async getMany(ids: readonly string[]): Promise<(ConversationSummary | null)[]> {
    const valid = ids.filter((id) => UUID.test(id))
    const rows = valid.length === 0 ? [] : ((await this.dataSource.query(`SELECT ${CONVERSATION_COLUMNS} FROM ${CONVERSATIONS_TABLE} c WHERE c.id = ANY($1::uuid[])`, [valid])) as ConversationRow[])
    const byId = new Map(rows.map((row) => [row.id, toConversation(row)]))
    return ids.map((id) => byId.get(id) ?? null)
  }

  /** The conversation of each request, in the order of `requestIds`; null where a request has none. */
  async conversationIdsOf(requestIds: readonly string[]): Promise<(string | null)[]> {
    const valid = requestIds.filter((id) => UUID.test(id))
    const rows = valid.length === 0 ? [] : ((await this.dataSource.query(`SELECT request_id, conversation_id FROM ${CONVERSATION_REQUESTS_TABLE} WHERE request_id = ANY($1::uuid[])`, [valid])) as Array<{ request_id: string; conversation_id: string }>)
    const byRequest = new Map(rows.map((row) => [row.request_id, row.conversation_id]))
    return requestIds.map((id) => byRequest.get(id) ?? null)
  }

  /** Threads of a conversation: MAIN first, then by start. */
  async threads(conversationId: string): Promise<ThreadSummary[]> {
    const rows = (await this.dataSource.query(
      `SELECT id, conversation_id, kind, parent_thread_id, parent_tool_use_id, agent_id, purpose, started_at, last_activity_at, request_count, message_count
       FROM ${CONVERSATION_THREADS_TABLE} WHERE conversation_id = $1 ORDER BY (kind = 'MAIN') DESC, started_at, id`,
      [conversationId],
    )) as Array<Record<string, unknown>>
    return rows.map((row) => ({
      id: row.id as string,
      conversationId: row.conversation_id as string,
      kind: row.kind as ThreadKind,
      parentThreadId: row.parent_thread_id as string | null,
      parentToolUseId: row.parent_tool_use_id as string | null,
      agentId: row.agent_id as string | null,
      purpose: row.purpose as string | null,
      startedAt: row.started_at as Date,
      lastActivityAt: row.last_activity_at as Date,
      requestCount: row.request_count as number,
      messageCount: row.message_count as number,
    }))
  }

  /** Every request of a conversation, oldest first, with what a turn shows of it. */
  async turns(conversationId: string): Promise<TurnSummary[]> {
    const rows = (await this.dataSource.query(
      `SELECT cr.request_id, cr.thread_id, cr.message_count, cr.new_message_count, r.started_at, r.completed_at, r.model, r.path, r.status, r.stop_reason, r.ttfb_ms, r.duration_ms,
         ${TURN_USAGE_COLUMNS}, r.cost_usd
       FROM ${CONVERSATION_REQUESTS_TABLE} cr JOIN ${REQUESTS_TABLE} r ON r.id = cr.request_id
       WHERE cr.conversation_id = $1 ORDER BY cr.started_at, cr.request_id`,
      [conversationId],
    )) as Array<Record<string, string | number | null> & { started_at: Date; completed_at: Date | null }>
    return rows.map((row) => ({
      requestId: row.request_id as string,
      threadId: row.thread_id as string,
      startedAt: row.started_at,
      completedAt: row.completed_at,
      model: row.model as string | null,
      path: row.path as string,
      status: row.status as RequestStatus,
      stopReason: row.stop_reason as string | null,
      ttfbMs: num(row.ttfb_ms),
      durationMs: num(row.duration_ms),
      usage: usageOfRow(row),
      costUsd: num(row.cost_usd),
      messageCount: row.message_count as number,
      newMessageCount: row.new_message_count as number,
    }))
  }

  /** Messages of the threads, in thread order then position. */
  async messages(threadIds: readonly string[]): Promise<MessageRow[]> {
    if (threadIds.length === 0) return []
    const rows = (await this.dataSource.query(
      `SELECT thread_id, position, role, content_id, request_id FROM ${CONVERSATION_MESSAGES_TABLE} WHERE thread_id = ANY($1::uuid[]) ORDER BY thread_id, position`,
      [threadIds],
    )) as Array<{ thread_id: string; position: number; role: string | null; content_id: string; request_id: string }>
    return rows.map((row) => ({ threadId: row.thread_id, position: row.position, role: row.role, contentId: row.content_id, requestId: row.request_id }))
  }

  /** Stored message texts by content id, in the order of `ids`; null where retention removed one. */
  async contentTexts(ids: readonly string[]): Promise<(string | null)[]> {
    const texts = await readContentTexts(this.dataSource, ids)
    return ids.map((id) => texts.get(id) ?? null)
  }
}
