import { GraphQLJSON } from 'graphql-scalars'
import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql'
import type { StreamChunkRecord } from '../records/request-record'
import { DEFAULT_PAGE_SIZE } from '../graphql/page-size'
import type { LiveBus } from '../live/live-bus'
import { bodiesOf, chunksOf, parseBody, type RequestLoaders } from './request-loaders'
import type { RequestSource } from './request-row'
import { liveChunks, requestEvents, streamChunks, type RequestEventPayload } from './request-subscriptions'
import type { RequestCount, RequestPage, RequestsService } from './requests.service'
import { Request, RequestConnection, RequestEvent, RequestFilter, StreamChunk } from './request.types'

/** What the requests resolvers need of the API context. */
export interface RequestsContext {
  requests: RequestsService
  bus: LiveBus
  /** Fresh per operation, so batching never mixes two operations. */
  requestLoaders: RequestLoaders
}

type SubscribeData<Args> = { args: Args; context: RequestsContext }

@Resolver(() => Request)
export class RequestsResolver {
  @Query(() => RequestConnection, { description: 'Recorded requests, newest first, a page at a time (first: at most 200).' })
  requests(
    @Ctx() ctx: RequestsContext,
    @Arg('filter', () => RequestFilter, { nullable: true }) filter?: RequestFilter | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<RequestPage> {
    return ctx.requests.list(filter, first ?? DEFAULT_PAGE_SIZE, after)
  }

  @Query(() => Request, { nullable: true })
  request(@Ctx() ctx: RequestsContext, @Arg('id', () => ID) id: string): Promise<RequestSource | null> {
    return ctx.requests.get(id)
  }

  @Mutation(() => Int, {
    description:
      'Deletes the recorded requests matching the filter ({} matches all) with their stream chunks, and returns how many went. Requests still in flight are kept. Body parts shared with other requests stay; retention removes those no request uses once they are older than its period.',
  })
  deleteRequests(@Ctx() ctx: RequestsContext, @Arg('filter', () => RequestFilter) filter: RequestFilter): Promise<number> {
    return ctx.requests.delete(filter)
  }

  @Subscription(() => RequestEvent, {
    description: 'A matching request started (kind IN_FLIGHT) or ended.',
    subscribe: ({ args, context }: SubscribeData<{ filter?: RequestFilter }>) => requestEvents(context.bus, args.filter),
  })
  requestEvents(@Root() event: RequestEventPayload, @Arg('filter', () => RequestFilter, { nullable: true }) _filter?: RequestFilter): RequestEventPayload {
    return event
  }

  @Subscription(() => StreamChunk, {
    description: 'The chunks of one request: those so far first, then live ones; completes when the request ends.',
    subscribe: ({ args, context }: SubscribeData<{ requestId: string }>) => streamChunks(context.bus, context.requests, args.requestId),
  })
  streamChunks(@Root() chunk: StreamChunkRecord, @Arg('requestId', () => ID) _requestId: string): StreamChunkRecord {
    return chunk
  }

  @Subscription(() => StreamChunk, {
    description: 'Every chunk of every matching request, as it arrives.',
    subscribe: ({ args, context }: SubscribeData<{ filter?: RequestFilter }>) => liveChunks(context.bus, args.filter),
  })
  liveChunks(@Root() chunk: StreamChunkRecord, @Arg('filter', () => RequestFilter, { nullable: true }) _filter?: RequestFilter): StreamChunkRecord {
    return chunk
  }

  @FieldResolver(() => GraphQLJSON, { nullable: true })
  async requestBody(@Root() request: RequestSource, @Ctx() ctx: RequestsContext): Promise<unknown> {
    return parseBody((await bodiesOf(request, ctx.requestLoaders)).requestBody)
  }

  @FieldResolver(() => String, { nullable: true })
  async requestBodyText(@Root() request: RequestSource, @Ctx() ctx: RequestsContext): Promise<string | null> {
    return (await bodiesOf(request, ctx.requestLoaders)).requestBody ?? null
  }

  @FieldResolver(() => GraphQLJSON, { nullable: true })
  async responseBody(@Root() request: RequestSource, @Ctx() ctx: RequestsContext): Promise<unknown> {
    return parseBody((await bodiesOf(request, ctx.requestLoaders)).responseBody)
  }

  @FieldResolver(() => String, { nullable: true })
  async responseBodyText(@Root() request: RequestSource, @Ctx() ctx: RequestsContext): Promise<string | null> {
    return (await bodiesOf(request, ctx.requestLoaders)).responseBody ?? null
  }

  @FieldResolver(() => String, { nullable: true })
  async responseSse(@Root() request: RequestSource, @Ctx() ctx: RequestsContext): Promise<string | null> {
    return (await bodiesOf(request, ctx.requestLoaders)).responseSse ?? null
  }

  @FieldResolver(() => String, { nullable: true, description: 'costUsd as an exact decimal.' })
  costUsdExact(@Root() request: RequestSource): string | null {
    return request.costUsd ?? null
  }

  @FieldResolver(() => [StreamChunk])
  chunks(@Root() request: RequestSource, @Ctx() ctx: RequestsContext): Promise<StreamChunkRecord[]> {
    return chunksOf(request, ctx.bus, ctx.requestLoaders)
  }
}

/** One count per page and kind, shared by `totalCount` and `totalCountIsEstimate`. */
const pageCounts = new WeakMap<RequestPage, Map<boolean, Promise<RequestCount>>>()

function countOf(page: RequestPage, ctx: RequestsContext, exact: boolean): Promise<RequestCount> {
  let counts = pageCounts.get(page)
  if (counts === undefined) pageCounts.set(page, (counts = new Map()))
  let count = counts.get(exact)
  if (count === undefined) counts.set(exact, (count = ctx.requests.countBounded(page.filter, exact, page.foundParts)))
  return count
}

@Resolver(() => RequestConnection)
export class RequestConnectionResolver {
  @FieldResolver(() => Int, {
    description: 'Requests matching the filter, all pages together: counted up to 10,000, estimated beyond (see totalCountIsEstimate) unless exact is true, which counts them all however long it takes.',
  })
  async totalCount(@Root() page: RequestPage, @Ctx() ctx: RequestsContext, @Arg('exact', () => Boolean, { defaultValue: false }) exact: boolean): Promise<number> {
    return (await countOf(page, ctx, exact)).count
  }

  @FieldResolver(() => Boolean, { description: 'totalCount (without exact) is the database planner\'s estimate, the matches being more than 10,000.' })
  async totalCountIsEstimate(@Root() page: RequestPage, @Ctx() ctx: RequestsContext): Promise<boolean> {
    return (await countOf(page, ctx, false)).isEstimate
  }
}
