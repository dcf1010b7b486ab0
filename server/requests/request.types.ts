import { GraphQLJSON, GraphQLSafeInt } from 'graphql-scalars'
import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql'
import type { CostStatus as CostStatusValue, RequestStatus as RequestStatusValue, StreamChunkRecord, UsageRecord } from '../records/request-record'
import { PageInfo } from '../graphql/connection'
import { BODY_FIELD_COST, Cost } from '../graphql/query-cost'
import type { RequestFilterValues } from './request-filter'
import { SHORTEST_INDEXED_SEARCH } from '../store/contents/search-keys'

/** The GraphQL enum behind capture's RequestStatus union. */
export const RequestStatus = {
  IN_FLIGHT: 'IN_FLIGHT',
  COMPLETED: 'COMPLETED',
  FAILED: 'FAILED',
  ABORTED: 'ABORTED',
} as const satisfies Record<RequestStatusValue, RequestStatusValue>

registerEnumType(RequestStatus, {
  name: 'RequestStatus',
  description: 'IN_FLIGHT from the first byte until the exchange ends as COMPLETED, FAILED (upstream broke) or ABORTED (client left).',
})

export const CostStatus = {
  PRICED: 'PRICED',
  UNKNOWN_MODEL: 'UNKNOWN_MODEL',
  NOT_BILLED: 'NOT_BILLED',
  NO_USAGE: 'NO_USAGE',
} as const satisfies Record<CostStatusValue, CostStatusValue>

registerEnumType(CostStatus, {
  name: 'CostStatus',
  description: 'PRICED (costUsd holds the cost), UNKNOWN_MODEL (no price for the model: cost unknown, never $0), NOT_BILLED (count_tokens), NO_USAGE (the response reported none).',
})

@ObjectType({ description: 'Token usage after merging message_start and every message_delta (last non-null value of each field).' })
export class Usage implements Omit<UsageRecord, 'serviceTier'> {
  @Field(() => GraphQLSafeInt, { nullable: true }) inputTokens: number | null
  @Field(() => GraphQLSafeInt, { nullable: true }) outputTokens: number | null
  @Field(() => GraphQLSafeInt, { nullable: true }) cacheCreationInputTokens: number | null
  @Field(() => GraphQLSafeInt, { nullable: true }) cacheCreation5mInputTokens: number | null
  @Field(() => GraphQLSafeInt, { nullable: true }) cacheCreation1hInputTokens: number | null
  @Field(() => GraphQLSafeInt, { nullable: true }) cacheReadInputTokens: number | null
  @Field(() => GraphQLSafeInt, { nullable: true }) thinkingTokens: number | null
  @Field(() => Int, { nullable: true, description: 'Server-side web_search tool uses.' }) webSearchRequests: number | null
  @Field(() => Int, { nullable: true, description: 'Server-side web_fetch tool uses.' }) webFetchRequests: number | null
  @Field(() => String, { nullable: true, description: 'e.g. standard, priority, batch.' }) serviceTier: string | null
  @Field(() => String, { nullable: true, description: 'Region the model ran in when the request chose one, e.g. us (priced higher).' }) inferenceGeo: string | null
}

@ObjectType({ description: 'One SSE event of a streamed response, with its arrival time.' })
export class StreamChunk implements StreamChunkRecord {
  @Field(() => ID) requestId: string
  @Field(() => Int, { description: '0-based order of arrival within the response.' }) seq: number
  @Field(() => String, { nullable: true, description: 'The SSE `event:` field.' }) event: string | null
  @Field(() => String, { description: 'The SSE `data:` payload, verbatim.' }) data: string
  @Field(() => Float, { description: 'Milliseconds from the start of the request to this event.' }) offsetMs: number
  @Field(() => Int, { description: 'Size of the event on the wire, framing included.' }) bytes: number
}

@ObjectType({ description: 'One exchange through the proxy (/v1/*): what the client sent, what it got, and when.' })
export class Request {
  @Field(() => ID, { description: 'Our id, a UUIDv7 (time-ordered).' }) id: string
  @Field(() => String, { nullable: true, description: "Upstream's request-id header." }) upstreamRequestId: string | null
  @Field(() => Date) startedAt: Date
  @Field(() => Date, { nullable: true }) completedAt: Date | null
  @Field(() => String) method: string
  @Field(() => String, { description: 'Path without the query string, e.g. /v1/messages.' }) path: string
  @Field(() => String, { nullable: true, description: 'Raw query string without `?`.' }) query: string | null
  @Field(() => String, { nullable: true, description: 'e.g. claude-cli/2.1.3 (external, cli).' }) userAgent: string | null
  @Field(() => String, { nullable: true, description: 'Model the client asked for.' }) model: string | null
  @Field(() => String, { nullable: true, description: 'Model sent upstream when routing changed it.' }) routedModel: string | null
  @Field(() => String, { nullable: true, description: 'The wire translation of a routed exchange, e.g. anthropic-to-chat-completions (the client spoke the Messages API, the provider Chat Completions); null when the body went upstream as sent.' }) translation?: string | null
  @Field(() => String, { description: 'anthropic or openai.' }) provider: string
  @Field(() => Boolean) stream: boolean
  @Field(() => Boolean, { description: 'The client asked for a JSON answer, which the proxy fetched upstream as a stream (ANTHROPIC_DEMOTE_NONSTREAMING): stream is false and the request body is the client\'s own, the response body is the Message it got, responseSse the upstream stream.' }) demoted: boolean
  @Field(() => RequestStatus) status: RequestStatusValue
  @Field(() => Int, { nullable: true }) httpStatus: number | null
  @Field(() => String, { nullable: true }) stopReason: string | null
  @Field(() => String, { nullable: true, description: 'What failed, e.g. an upstream reset mid-stream.' }) error: string | null
  @Field(() => String, { nullable: true, description: 'Stable code of a proxy-made failure, e.g. UPSTREAM_RESET.' }) errorCode: string | null
  @Field(() => Float, { nullable: true, description: 'Milliseconds from start to upstream response headers.' }) responseHeadersMs: number | null
  @Field(() => Float, { nullable: true, description: 'Milliseconds from start to the first response body byte.' }) ttfbMs: number | null
  @Field(() => Float, { nullable: true, description: 'Milliseconds from start to the end of the response.' }) durationMs: number | null
  @Field(() => Usage, { nullable: true }) usage: Usage | null
  @Cost(BODY_FIELD_COST)
  @Field(() => GraphQLJSON, { nullable: true, description: 'Headers as received from the client, before header rules (upstreamRequestHeaders: as sent upstream); secrets replaced by key fingerprints.' })
  requestHeaders: Record<string, string | string[]>
  @Cost(BODY_FIELD_COST)
  @Field(() => GraphQLJSON, { nullable: true, description: 'The body parsed as JSON, or the raw text when it is not JSON. Integers beyond 2^53 lose precision here: use requestBodyText.' })
  requestBody: unknown
  @Cost(BODY_FIELD_COST)
  @Field(() => String, { nullable: true, description: 'The body exactly as forwarded, but for REDACT_PATTERNS matches, stored as fingerprints.' }) requestBodyText: string | null
  @Field(() => Int) requestBodyBytes: number
  @Cost(BODY_FIELD_COST)
  @Field(() => GraphQLJSON, { nullable: true, description: 'Headers as received from upstream, before header rules (clientResponseHeaders: as returned to the client).' }) responseHeaders: Record<string, string | string[]> | null
  @Cost(BODY_FIELD_COST)
  @Field(() => GraphQLJSON, { nullable: true, description: 'The response JSON; for streams the Message reconstructed from the events.' })
  responseBody: unknown
  @Cost(BODY_FIELD_COST)
  @Field(() => String, { nullable: true, description: 'The response JSON text, verbatim.' }) responseBodyText: string | null
  @Cost(BODY_FIELD_COST)
  @Field(() => String, { nullable: true, description: 'The raw SSE of a streamed response.' }) responseSse: string | null
  @Field(() => Int, { nullable: true }) responseBodyBytes: number | null
  @Cost(BODY_FIELD_COST)
  @Field(() => [StreamChunk], { description: 'Every SSE event in arrival order; live while the request is in flight.' })
  chunks: StreamChunk[]
  @Field(() => String, { nullable: true, description: 'Keyed fingerprint of the API key or OAuth token, e.g. key:3f9a1c2b.' })
  apiKeyFingerprint: string | null
  @Field(() => String, { nullable: true, description: 'Anthropic organization id from the response headers.' }) organizationId: string | null
  @Field(() => Float, { nullable: true, description: 'USD, from the price book; null when not priced (see costStatus): an unknown model is never $0.' }) costUsd?: string | null
  @Field(() => String, { nullable: true, description: 'The price row (Price.id) the cost was computed with.' }) priceId?: string | null
  @Field(() => CostStatus, { nullable: true, description: 'Null while in flight or until priced.' }) costStatus?: CostStatusValue | null
}

@ObjectType()
export class RequestEdge {
  @Field(() => String) cursor: string
  @Field(() => Request) node: Request
}

@ObjectType({ description: 'A page of requests, newest first.' })
export class RequestConnection {
  @Field(() => [Request]) nodes: Request[]
  @Field(() => [RequestEdge]) edges: RequestEdge[]
  @Field(() => PageInfo) pageInfo: PageInfo
  totalCount: number
  totalCountIsEstimate: boolean
}

@ObjectType({ description: 'A request started (kind IN_FLIGHT) or ended (COMPLETED, FAILED, ABORTED).' })
export class RequestEvent {
  @Field(() => RequestStatus) kind: RequestStatusValue
  @Field(() => Request) request: Request
}

@InputType({ description: 'Every condition given must hold. An empty list means no condition.' })
export class RequestFilter implements RequestFilterValues {
  @Field(() => Date, { nullable: true, description: 'Started at or after this instant.' }) from?: Date | null
  @Field(() => Date, { nullable: true, description: 'Started before this instant (exclusive).' }) to?: Date | null
  @Field(() => [String], { nullable: true, description: 'Model the client asked for, any of these.' }) models?: string[] | null
  @Field(() => [RequestStatus], { nullable: true }) statuses?: RequestStatusValue[] | null
  @Field(() => [Int], { nullable: true }) httpStatuses?: number[] | null
  @Field(() => Boolean, { nullable: true }) stream?: boolean | null
  @Field(() => String, { nullable: true }) apiKeyFingerprint?: string | null
  @Field(() => String, { nullable: true, description: 'Exact path, e.g. /v1/messages.' }) path?: string | null
  @Field(() => String, { nullable: true, description: `Case-insensitive text in the request or response body. Text inside the base64 data of images and documents, or inside a thinking block’s signature, is not indexed and may not be found. A search under ${SHORTEST_INDEXED_SEARCH} characters reads every stored message without the index: slower on a large store.` }) search?: string | null
  @Field(() => Float, { nullable: true, description: 'Took at least this many milliseconds.' }) minDurationMs?: number | null
  @Field(() => [String], { nullable: true, description: 'Where the request went, any of these: anthropic, or a provider named in the routing file (e.g. openai).' }) providers?: string[] | null
  @Field(() => ID, { nullable: true, description: 'Belongs to this conversation (stored requests only: live subscriptions never match it).' }) conversationId?: string | null
}
