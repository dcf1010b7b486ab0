import type DataLoader from 'dataloader'
import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql'
import { Conversation, ConversationTurn } from '../conversations/conversation.types'
import type { ConversationSummary, TurnSummary } from '../conversations/conversations.service'
import { ClaudeCodePrompt, ClaudeCodeTurnActivity } from './claude-code-telemetry.types'
import type { ConversationActivity, PromptActivity, TurnActivity } from './turn-activity'

/** What these resolvers need of the API context. */
export interface ClaudeCodeTelemetryContext {
  /** Fresh per operation: a conversation's activity, keyed by conversation id. */
  claudeCodeActivity: DataLoader<string, ConversationActivity>
}

@Resolver(() => Conversation)
export class ConversationClaudeCodeResolver {
  @FieldResolver(() => [ClaudeCodePrompt], { description: "The prompts of the session from Claude Code's own telemetry (CLAUDE_CODE_ENABLE_TELEMETRY=1), in order; empty when none was received." })
  async claudeCodePrompts(@Root() conversation: ConversationSummary, @Ctx() ctx: ClaudeCodeTelemetryContext): Promise<PromptActivity[]> {
    return (await ctx.claudeCodeActivity.load(conversation.id)).prompts
  }
}

@Resolver(() => ConversationTurn)
export class TurnClaudeCodeResolver {
  @FieldResolver(() => ClaudeCodeTurnActivity, { nullable: true, description: "What Claude Code's own telemetry says of this request: the prompt that started it, and the tool calls its response asked for. Null when no telemetry was received." })
  async claudeCode(@Root() turn: TurnSummary, @Ctx() ctx: ClaudeCodeTelemetryContext): Promise<TurnActivity | null> {
    return (await ctx.claudeCodeActivity.load(turn.conversationId)).byRequest.get(turn.requestId) ?? null
  }
}
