import { GraphQLJSON } from 'graphql-scalars'
import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root, Subscription } from 'type-graphql'
import { DEFAULT_PAGE_SIZE } from '../graphql/page-size'
import type { LiveBus } from '../live/live-bus'
import { parseBody } from '../requests/request-loaders'
import type { RequestsContext } from '../requests/requests.resolver'
import type { RequestPage } from '../requests/requests.service'
import type { RequestSource } from '../requests/request-row'
import { Request, RequestConnection } from '../requests/request.types'
import { sumCacheMisses, type CacheMissSums, type PricedCacheMiss } from './cache-forensics.service'
import { CacheMiss, CacheMissTotals } from './cache-miss.types'
import type { ConversationLoaders } from './conversation-loaders'
import { conversationUpdates } from './conversation-subscriptions'
import { Conversation, ConversationConnection, ConversationFilter, ConversationThread, ConversationTurn, ThreadMessage } from './conversation.types'
import type { ConversationPage, ConversationsService, ConversationSummary, MessageRow, ThreadSummary, TurnSummary } from './conversations.service'

/** What the conversations resolvers need of the API context. */
export interface ConversationsContext {
  conversations: ConversationsService
  bus: LiveBus
  /** Fresh per operation. */
  conversationLoaders: ConversationLoaders
}

type SubscribeData<Args> = { args: Args; context: ConversationsContext }

@Resolver(() => Conversation)
export class ConversationsResolver {
  @Query(() => ConversationConnection, { description: 'Conversations, most recently active first, a page at a time (first: at most 200).' })
  conversations(
    @Ctx() ctx: ConversationsContext,
    @Arg('filter', () => ConversationFilter, { nullable: true }) filter?: ConversationFilter | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<ConversationPage> {
    return ctx.conversations.list(filter, first ?? DEFAULT_PAGE_SIZE, after)
  }

  @Query(() => Conversation, { nullable: true })
  conversation(@Ctx() ctx: ConversationsContext, @Arg('id', () => ID) id: string): Promise<ConversationSummary | null> {
    return ctx.conversations.get(id)
  }

  @Subscription(() => Conversation, {
    description: 'A conversation (the one named, or any) after new turns or totals were stored.',
    subscribe: ({ args, context }: SubscribeData<{ id?: string | null }>) => conversationUpdates(context.bus, context.conversations, args.id),
  })
  conversationUpdated(@Root() conversation: ConversationSummary, @Arg('id', () => ID, { nullable: true }) _id?: string): ConversationSummary {
    return conversation
  }

  @FieldResolver(() => [ConversationThread])
  threads(@Root() conversation: ConversationSummary, @Ctx() ctx: ConversationsContext): Promise<ThreadSummary[]> {
    return ctx.conversationLoaders.threads.load(conversation.id)
  }

  @FieldResolver(() => [ConversationTurn])
  turns(@Root() conversation: ConversationSummary, @Ctx() ctx: ConversationsContext): Promise<TurnSummary[]> {
    return ctx.conversationLoaders.turns.load(conversation.id)
  }

  @FieldResolver(() => CacheMissTotals, { description: 'Its prompt-cache misses (see Request.cacheMiss), summed and by reason; computed when read.' })
  async cacheMisses(@Root() conversation: ConversationSummary, @Ctx() ctx: ConversationsContext): Promise<CacheMissSums> {
    return sumCacheMisses((await ctx.conversationLoaders.cacheMisses.load(conversation.id)).values())
  }

  @FieldResolver(() => RequestConnection, { description: 'Its requests, newest first, as the requests query pages them.' })
  requests(
    @Root() conversation: ConversationSummary,
    @Ctx() ctx: ConversationsContext & RequestsContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<RequestPage> {
    return ctx.requests.list({ conversationId: conversation.id }, first ?? DEFAULT_PAGE_SIZE, after)
  }
}

@Resolver(() => ConversationThread)
export class ConversationThreadResolver {
  @FieldResolver(() => [ThreadMessage])
  messages(@Root() thread: ThreadSummary, @Ctx() ctx: ConversationsContext): Promise<MessageRow[]> {
    return ctx.conversationLoaders.messages.load(thread.id)
  }

  @FieldResolver(() => [ConversationTurn])
  async turns(@Root() thread: ThreadSummary, @Ctx() ctx: ConversationsContext): Promise<TurnSummary[]> {
    return (await ctx.conversationLoaders.turns.load(thread.conversationId)).filter((turn) => turn.threadId === thread.id)
  }
}

@Resolver(() => ThreadMessage)
export class ThreadMessageResolver {
  @FieldResolver(() => String, { nullable: true })
  contentText(@Root() message: MessageRow, @Ctx() ctx: ConversationsContext): Promise<string | null> {
    return ctx.conversationLoaders.contents.load(message.contentId)
  }

  @FieldResolver(() => GraphQLJSON, { nullable: true })
  async content(@Root() message: MessageRow, @Ctx() ctx: ConversationsContext): Promise<unknown> {
    return parseBody(await ctx.conversationLoaders.contents.load(message.contentId))
  }
}

@Resolver(() => ConversationConnection)
export class ConversationConnectionResolver {
  @FieldResolver(() => Int)
  totalCount(@Root() page: ConversationPage, @Ctx() ctx: ConversationsContext): Promise<number> {
    return ctx.conversations.count(page.filter)
  }
}

@Resolver(() => Request)
export class RequestConversationResolver {
  @FieldResolver(() => Conversation, { nullable: true, description: 'The conversation it was grouped into, once stored.' })
  conversation(@Root() request: RequestSource, @Ctx() ctx: ConversationsContext): Promise<ConversationSummary | null> {
    return ctx.conversationLoaders.byRequest.load(request.id)
  }

  @FieldResolver(() => CacheMiss, {
    nullable: true,
    description:
      "Why it wrote to the prompt cache what the previous turn of its thread had cached (or read less than that), and what it cost; null when it read all it could, is not in a conversation yet, or is a side call.",
  })
  async cacheMiss(@Root() request: RequestSource, @Ctx() ctx: ConversationsContext): Promise<PricedCacheMiss | null> {
    const conversation = await ctx.conversationLoaders.byRequest.load(request.id)
    if (conversation === null) return null
    return (await ctx.conversationLoaders.cacheMisses.load(conversation.id)).get(request.id) ?? null
  }
}
