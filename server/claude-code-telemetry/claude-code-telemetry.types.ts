import { GraphQLSafeInt } from 'graphql-scalars'
import { Field, Float, ID, ObjectType } from 'type-graphql'
import type { ApiRequestEvent, PromptActivity, ToolDecisionEvent, ToolResultEvent, TurnActivity, UserPromptEvent } from './turn-activity'

@ObjectType({ description: "Claude Code's user_prompt event: a prompt the user submitted." })
export class ClaudeCodeUserPrompt implements UserPromptEvent {
  @Field(() => String, { nullable: true }) promptId: string | null
  @Field(() => Date) occurredAt: Date
  @Field(() => String, { nullable: true, description: 'What the user typed; null when Claude Code redacted it (set OTEL_LOG_USER_PROMPTS=1 to send it).' }) prompt: string | null
  @Field(() => GraphQLSafeInt, { nullable: true }) promptLength: number | null
}

@ObjectType({ description: "Claude Code's api_request event: its own account of one model call." })
export class ClaudeCodeApiRequest implements ApiRequestEvent {
  @Field(() => String, { nullable: true }) promptId: string | null
  @Field(() => Date) occurredAt: Date
  @Field(() => String, { nullable: true }) model: string | null
  @Field(() => Float, { nullable: true, description: "Claude Code's own cost estimate, in USD." }) costUsd: number | null
  @Field(() => Float, { nullable: true }) durationMs: number | null
  @Field(() => GraphQLSafeInt, { nullable: true }) inputTokens: number | null
  @Field(() => GraphQLSafeInt, { nullable: true }) outputTokens: number | null
  @Field(() => GraphQLSafeInt, { nullable: true }) cacheReadTokens: number | null
  @Field(() => GraphQLSafeInt, { nullable: true }) cacheCreationTokens: number | null
  @Field(() => String, { nullable: true, description: 'The API request id Claude Code reported (newer versions).' }) upstreamRequestId: string | null
  @Field(() => ID, { nullable: true, description: 'The proxied request it was matched to (by API request id, else model, tokens and time).' }) requestId: string | null
}

@ObjectType({ description: "Claude Code's tool_decision event: whether a tool call was allowed to run, and by whom." })
export class ClaudeCodeToolDecision implements ToolDecisionEvent {
  @Field(() => String, { nullable: true }) promptId: string | null
  @Field(() => Date) occurredAt: Date
  @Field(() => String, { nullable: true }) toolName: string | null
  @Field(() => String, { nullable: true, description: 'accept or reject.' }) decision: string | null
  @Field(() => String, { nullable: true, description: 'config, hook, user_permanent, user_temporary, user_reject, ...' }) source: string | null
}

@ObjectType({ description: "Claude Code's tool_result event: how a tool call went." })
export class ClaudeCodeToolResult implements ToolResultEvent {
  @Field(() => String, { nullable: true }) promptId: string | null
  @Field(() => Date) occurredAt: Date
  @Field(() => String, { nullable: true }) toolName: string | null
  @Field(() => Boolean, { nullable: true }) success: boolean | null
  @Field(() => Float, { nullable: true, description: 'How long the tool ran, in milliseconds.' }) durationMs: number | null
  @Field(() => String, { nullable: true }) error: string | null
  @Field(() => String, { nullable: true, description: 'JSON text of the parameters Claude Code reports for some tools.' }) toolParameters: string | null
  @Field(() => String, { nullable: true }) decisionSource: string | null
  @Field(() => String, { nullable: true }) decisionType: string | null
}

@ObjectType({ description: 'Everything one prompt set off, from Claude Code\'s own telemetry.' })
export class ClaudeCodePrompt implements PromptActivity {
  @Field(() => String) promptId: string
  @Field(() => ClaudeCodeUserPrompt, { nullable: true, description: 'Null when only later events of the prompt arrived.' }) userPrompt: UserPromptEvent | null
  @Field(() => [ClaudeCodeApiRequest]) apiRequests: ApiRequestEvent[]
  @Field(() => [ClaudeCodeToolDecision]) toolDecisions: ToolDecisionEvent[]
  @Field(() => [ClaudeCodeToolResult]) toolResults: ToolResultEvent[]
  @Field(() => [ID], { description: 'The proxied requests of the conversation that belong to it, oldest first.' }) requestIds: string[]
}

@ObjectType({ description: 'What Claude Code reported around one request of a conversation.' })
export class ClaudeCodeTurnActivity implements TurnActivity {
  @Field(() => String, { nullable: true }) promptId: string | null
  @Field(() => ClaudeCodeUserPrompt, { nullable: true, description: 'The prompt that started the turn.' }) userPrompt: UserPromptEvent | null
  @Field(() => ClaudeCodeApiRequest, { nullable: true, description: "Claude Code's own record of this request, when one was matched." }) apiRequest: ApiRequestEvent | null
  @Field(() => [ClaudeCodeToolDecision], { description: 'Decisions on the tool calls this response asked for.' }) toolDecisions: ToolDecisionEvent[]
  @Field(() => [ClaudeCodeToolResult], { description: 'Results of the tool calls this response asked for.' }) toolResults: ToolResultEvent[]
}
