import { GraphQLJSON, GraphQLSafeInt } from 'graphql-scalars'
import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql'
import type { CostStatus as CostStatusValue, RequestStatus as RequestStatusValue, UsageRecord } from '../records/request-record'
import type { TurnSource as TurnSourceValue } from './conversations.service'
import type { ThreadKind as ThreadKindValue } from '../records/conversation-record'
import { PageInfo } from '../graphql/connection'
import { BODY_FIELD_COST, Cost } from '../graphql/query-cost'
import { CostStatus, RequestStatus, Usage } from '../requests/request.types'
import type { ConversationFilterValues } from './conversation-filter'
import type { SessionSource as SessionSourceValue } from './session-key'

export const ThreadKind = { MAIN: 'MAIN', SUBAGENT: 'SUBAGENT', SIDE: 'SIDE' } as const satisfies Record<ThreadKindValue, ThreadKindValue>
registerEnumType(ThreadKind, {
  name: 'ThreadKind',
  description: 'MAIN: the agent the user talks to. SUBAGENT: an agent a Task tool call started, with its own system prompt and history. SIDE: calls beside them (title or topic generation on a small model, count_tokens, quota checks).',
})

export const SessionSource = { HEADER: 'HEADER', METADATA: 'METADATA', EXPLICIT: 'EXPLICIT', TRANSCRIPT: 'TRANSCRIPT', PREFIX: 'PREFIX' } as const satisfies Record<SessionSourceValue, SessionSourceValue>
registerEnumType(SessionSource, {
  name: 'SessionSource',
  description: 'How the conversation was found: the x-claude-code-session-id header, the session in metadata.user_id, the x-claudescope-session header, the session id of an imported Claude Code transcript (TRANSCRIPT), or the message history alone (PREFIX).',
})

export const TurnSource = { PROXY: 'PROXY', TRANSCRIPT: 'TRANSCRIPT' } as const satisfies Record<TurnSourceValue, TurnSourceValue>
registerEnumType(TurnSource, {
  name: 'TurnSource',
  description: 'PROXY: a request Claudescope captured (its HTTP exchange is stored). TRANSCRIPT: an API call read from an imported Claude Code transcript (no HTTP exchange: no path, headers, bodies or timings).',
})

@ObjectType({ description: 'Token totals over a set of requests (0 when none reported any).' })
export class TokenTotals {
  @Field(() => GraphQLSafeInt) inputTokens: number
  @Field(() => GraphQLSafeInt) outputTokens: number
  @Field(() => GraphQLSafeInt, { description: 'Tokens written to the prompt cache.' }) cacheCreationInputTokens: number
  @Field(() => GraphQLSafeInt, { description: 'Tokens read from the prompt cache.' }) cacheReadInputTokens: number
}

@ObjectType({ description: 'One request of a conversation: a turn of a thread, or a side call.' })
export class ConversationTurn {
  @Field(() => ID, { description: 'The captured request\'s id; for an imported turn, the id of its transcript entry (no request exists).' }) requestId: string
  @Field(() => ID) threadId: string
  @Field(() => TurnSource) source: TurnSourceValue
  @Field(() => String, { nullable: true, description: 'Imported turns: the transcript file (relative to the imported directory) and line it was read from.' }) transcriptEntry: string | null
  @Field(() => Date) startedAt: Date
  @Field(() => Date, { nullable: true }) completedAt: Date | null
  @Field(() => String, { nullable: true }) model: string | null
  @Field(() => String, { nullable: true, description: 'Null for an imported turn.' }) path: string | null
  @Field(() => RequestStatus) status: RequestStatusValue
  @Field(() => String, { nullable: true }) stopReason: string | null
  @Field(() => Float, { nullable: true, description: 'Milliseconds from start to the first response byte.' }) ttfbMs: number | null
  @Field(() => Float, { nullable: true, description: 'Milliseconds from start to the end of the response.' }) durationMs: number | null
  @Field(() => Usage, { nullable: true, description: 'Its usage, cache reads and writes among it.' }) usage: UsageRecord | null
  @Field(() => Float, { nullable: true, description: 'Cost in USD, when prices are known (null until then, and for an unknown model).' }) costUsd: number | null
  @Field(() => CostStatus, { nullable: true, description: 'Why costUsd is what it is (UNKNOWN_MODEL: no price for its model); null until priced.' }) costStatus: CostStatusValue | null
  @Field(() => Int, { description: 'Messages the request sent.' }) messageCount: number
  @Field(() => Int, { description: 'Messages it added to its thread.' }) newMessageCount: number
}

@ObjectType({ description: 'One message of a thread, stored once however many requests (or imported transcript entries) sent it again.' })
export class ThreadMessage {
  @Field(() => Int, { description: '0-based place in the thread.' }) position: number
  @Field(() => String, { nullable: true, description: 'user or assistant.' }) role: string | null
  @Field(() => ID, { description: 'The id of its stored content (the message as first sent).' }) contentId: string
  @Field(() => ID, { description: 'The turn that first sent it: a request, or an imported turn (see ConversationTurn.requestId).' }) requestId: string
  @Cost(BODY_FIELD_COST)
  @Field(() => GraphQLJSON, { nullable: true, description: 'The message as JSON (integers beyond 2^53 lose precision here: use contentText); null when retention removed it.' })
  content: unknown
  @Cost(BODY_FIELD_COST)
  @Field(() => String, { nullable: true, description: 'The message exactly as first sent.' }) contentText: string | null
}

@ObjectType({ description: 'The main agent, a subagent, or the side calls of one purpose, inside a conversation.' })
export class ConversationThread {
  @Field(() => ID) id: string
  @Field(() => ThreadKind) kind: ThreadKindValue
  @Field(() => ID, { nullable: true, description: 'The thread that spawned it (a subagent\'s parent), or the main thread of side calls.' }) parentThreadId: string | null
  @Field(() => String, { nullable: true, description: 'The tool_use id of the Task call in the parent that spawned this subagent, when it could be told.' })
  parentToolUseId: string | null
  @Field(() => String, { nullable: true, description: 'Agent id the client sent (x-claude-code-agent-id).' }) agentId: string | null
  @Field(() => String, { nullable: true, description: 'SIDE threads: count_tokens, quota or small_model.' }) purpose: string | null
  @Field(() => Date) startedAt: Date
  @Field(() => Date) lastActivityAt: Date
  @Field(() => Int) requestCount: number
  @Field(() => Int, { description: 'Messages in the thread (none kept for SIDE threads).' }) messageCount: number
  @Field(() => [ThreadMessage], { description: 'Its messages, each once, in order.' }) messages: ThreadMessage[]
  @Field(() => [ConversationTurn], { description: 'Its requests, oldest first.' }) turns: ConversationTurn[]
}

@ObjectType({ description: 'A Claude Code session (or a conversation found by its history): its threads, turns and totals.' })
export class Conversation {
  @Field(() => ID) id: string
  @Field(() => String, { nullable: true, description: 'The session id, when the traffic named one.' }) sessionId: string | null
  @Field(() => SessionSource) sessionSource: SessionSourceValue
  @Field(() => String, { nullable: true, description: 'The first real user prompt of the main thread (system reminders and command boilerplate skipped).' })
  title: string | null
  @Field(() => Date) startedAt: Date
  @Field(() => Date) lastActivityAt: Date
  @Field(() => Int) requestCount: number
  @Field(() => [String], { description: 'Models its requests asked for, sorted.' }) models: string[]
  @Field(() => TokenTotals) usage: TokenTotals
  @Field(() => Float, { nullable: true, description: 'Cost in USD of all its turns; null while any finished turn is unpriced (unknown model, or not priced yet): see unpricedTurnCount.' })
  costUsd: number | null
  @Field(() => Int, { description: 'Finished turns without a cost (an unknown model, or not priced yet).' }) unpricedTurnCount: number
  @Field(() => Int, { description: 'Turns imported from Claude Code transcripts rather than captured by the proxy.' }) importedTurnCount: number
  @Field(() => [ConversationThread], { description: 'Main thread first, then subagents and side threads by start.' }) threads: ConversationThread[]
  @Field(() => [ConversationTurn], { description: 'Every request, oldest first.' }) turns: ConversationTurn[]
}

@ObjectType()
export class ConversationEdge {
  @Field(() => String) cursor: string
  @Field(() => Conversation) node: Conversation
}

@ObjectType({ description: 'A page of conversations, most recently active first.' })
export class ConversationConnection {
  @Field(() => [Conversation]) nodes: Conversation[]
  @Field(() => [ConversationEdge]) edges: ConversationEdge[]
  @Field(() => PageInfo) pageInfo: PageInfo
  @Field(() => Int, { description: 'Conversations matching the filter, all pages together.' }) totalCount: number
}

@InputType({ description: 'Every condition given must hold.' })
export class ConversationFilter implements ConversationFilterValues {
  @Field(() => Date, { nullable: true, description: 'Active at or after this instant.' }) from?: Date | null
  @Field(() => Date, { nullable: true, description: 'Started before this instant (exclusive).' }) to?: Date | null
  @Field(() => [String], { nullable: true, description: 'Used any of these models.' }) models?: string[] | null
  @Field(() => String, { nullable: true, description: 'The session id.' }) sessionId?: string | null
  @Field(() => String, { nullable: true, description: 'Case-insensitive text in the title.' }) search?: string | null
}
