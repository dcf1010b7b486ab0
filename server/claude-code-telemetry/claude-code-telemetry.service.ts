import DataLoader from 'dataloader'
import { distinct } from '../conversations/conversation-loaders'
import type { DataSource } from 'typeorm'
import type { ConversationSummary, TurnSummary } from '../conversations/conversations.service'
import { CLAUDE_CODE_EVENTS_TABLE } from '../store/tables/claude-code-telemetry.table'
import type { Attributes } from './otlp-payload'
import { joinActivity, type ConversationActivity, type StoredEvent } from './turn-activity'

/** The events the join reads; metrics, errors and the rest stay in the table for other readers. */
const JOINED_EVENTS = ['user_prompt', 'api_request', 'tool_decision', 'tool_result']

/** Reads Claude Code's stored events by session (`claude_code_events_session_idx`). */
export class ClaudeCodeTelemetryService {
  constructor(private readonly dataSource: DataSource) {}

  async eventsOfSession(sessionId: string): Promise<StoredEvent[]> {
    const rows = (await this.dataSource.query(
      `SELECT prompt_id, event_name, event_sequence, occurred_at, attributes FROM ${CLAUDE_CODE_EVENTS_TABLE}
       WHERE session_id = $1 AND event_name = ANY($2::text[]) ORDER BY occurred_at, event_sequence, id`,
      [sessionId, JOINED_EVENTS],
    )) as Array<{ prompt_id: string | null; event_name: string; event_sequence: string | null; occurred_at: Date; attributes: Attributes }>
    return rows.map((row) => ({
      promptId: row.prompt_id,
      eventName: row.event_name,
      sequence: row.event_sequence === null ? null : Number(row.event_sequence),
      occurredAt: row.occurred_at,
      attributes: row.attributes,
    }))
  }
}

const EMPTY: ConversationActivity = { prompts: [], byRequest: new Map() }

/**
 * A conversation's Claude Code activity joined to its turns, once per batch however many turns
 * ask (not cached: a subscription's context lives for hours). `conversation` and `turns` are the conversations domain's own per-operation loads.
 */
export function createActivityLoader(
  telemetry: ClaudeCodeTelemetryService,
  conversation: (id: string) => Promise<ConversationSummary | null>,
  turns: (id: string) => Promise<TurnSummary[]>,
): DataLoader<string, ConversationActivity> {
  return new DataLoader(
    distinct((ids) =>
      Promise.all(
        ids.map(async (id) => {
          const sessionId = (await conversation(id))?.sessionId ?? null
          if (sessionId === null) return EMPTY
          const [events, conversationTurns] = await Promise.all([telemetry.eventsOfSession(sessionId), turns(id)])
          if (events.length === 0) return EMPTY
          return joinActivity(
            conversationTurns.map((turn) => ({
              requestId: turn.requestId,
              startedAt: turn.startedAt,
              completedAt: turn.completedAt,
              model: turn.model,
              upstreamRequestId: turn.upstreamRequestId,
              inputTokens: turn.usage?.inputTokens ?? null,
              outputTokens: turn.usage?.outputTokens ?? null,
              cacheReadTokens: turn.usage?.cacheReadInputTokens ?? null,
              cacheCreationTokens: turn.usage?.cacheCreationInputTokens ?? null,
            })),
            events,
          )
        }),
      ),
    ),
    { cache: false },
  )
}
