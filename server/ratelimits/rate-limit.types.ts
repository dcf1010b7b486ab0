import { GraphQLJSON, GraphQLSafeInt } from 'graphql-scalars'
import { Field, Float, ID, Int, ObjectType } from 'type-graphql'
import type { RateLimitSnapshotRecord } from '../records/rate-limit-snapshot'
import type { BurnProjection, GroupShare, RequestShare } from './quota-attribution'

const count = { nullable: true } as const

@ObjectType({
  description:
    "What one response's rate-limit headers said. Each field is null when its header was absent or malformed (0 is a value, not an absence); `headers` has them all verbatim.",
})
export class RateLimitSnapshot implements RateLimitSnapshotRecord {
  @Field(() => ID, { description: 'The request whose response carried these headers.' }) requestId: string
  @Field(() => Date, { description: 'When the response headers arrived.' }) observedAt: Date
  @Field(() => String, { nullable: true }) organizationId: string | null
  @Field(() => String, { nullable: true }) apiKeyFingerprint: string | null
  @Field(() => String, { nullable: true, description: 'Model the request asked for.' }) model: string | null
  @Field(() => Int) httpStatus: number
  @Field(() => GraphQLSafeInt, count) requestsLimit: number | null
  @Field(() => GraphQLSafeInt, count) requestsRemaining: number | null
  @Field(() => Date, { nullable: true }) requestsReset: Date | null
  @Field(() => GraphQLSafeInt, count) tokensLimit: number | null
  @Field(() => GraphQLSafeInt, count) tokensRemaining: number | null
  @Field(() => Date, { nullable: true }) tokensReset: Date | null
  @Field(() => GraphQLSafeInt, count) inputTokensLimit: number | null
  @Field(() => GraphQLSafeInt, count) inputTokensRemaining: number | null
  @Field(() => Date, { nullable: true }) inputTokensReset: Date | null
  @Field(() => GraphQLSafeInt, count) outputTokensLimit: number | null
  @Field(() => GraphQLSafeInt, count) outputTokensRemaining: number | null
  @Field(() => Date, { nullable: true }) outputTokensReset: Date | null
  @Field(() => String, { nullable: true, description: 'Subscription quota status: allowed, allowed_warning or rejected.' }) unifiedStatus: string | null
  @Field(() => Date, { nullable: true }) unifiedReset: Date | null
  @Field(() => GraphQLSafeInt, count) unifiedRemaining: number | null
  @Field(() => String, { nullable: true, description: 'The window that decided the status, e.g. five_hour or seven_day.' }) unifiedRepresentativeClaim: string | null
  @Field(() => Float, { nullable: true, description: 'Fraction of the 5-hour window used (0 to 1).' }) unified5hUtilization: number | null
  @Field(() => Date, { nullable: true }) unified5hReset: Date | null
  @Field(() => String, { nullable: true }) unified5hStatus: string | null
  @Field(() => Float, { nullable: true, description: 'Fraction of the 7-day window used (0 to 1).' }) unified7dUtilization: number | null
  @Field(() => Date, { nullable: true }) unified7dReset: Date | null
  @Field(() => String, { nullable: true }) unified7dStatus: string | null
  @Field(() => String, { nullable: true, description: 'Whether a fallback model is offered, e.g. available.' }) unifiedFallback: string | null
  @Field(() => Float, { nullable: true }) unifiedFallbackPercentage: number | null
  @Field(() => String, { nullable: true }) unifiedOverageStatus: string | null
  @Field(() => String, { nullable: true }) unifiedOverageReason: string | null
  @Field(() => String, { nullable: true }) unifiedOverageDisabledReason: string | null
  @Field(() => Float, { nullable: true }) unifiedOverageUtilization: number | null
  @Field(() => Date, { nullable: true }) unifiedOverageReset: Date | null
  @Field(() => Float, { nullable: true, description: 'Seconds the client was asked to wait (retry-after, retry-after-ms).' }) retryAfterSeconds: number | null
  @Field(() => GraphQLJSON, { description: 'Every anthropic-ratelimit-* header and retry-after, verbatim.' }) headers: Record<string, string>
}

@ObjectType({ description: 'One standard rate limit (requests, tokens, input or output tokens) as last reported.' })
export class RateLimitBucket {
  @Field(() => GraphQLSafeInt, count) limit: number | null
  @Field(() => GraphQLSafeInt, count) remaining: number | null
  @Field(() => Date, { nullable: true }) resetsAt: Date | null
  @Field(() => Float, { nullable: true, description: 'Seconds from now until it refills; 0 once past.' }) resetsInSeconds: number | null
}

@ObjectType({ description: "A request's part of a quota window." })
export class QuotaRequestShare implements RequestShare {
  @Field(() => ID) requestId: string
  @Field(() => String, { nullable: true }) model: string | null
  @Field(() => String, { nullable: true }) apiKeyFingerprint: string | null
  @Field(() => ID, { nullable: true, description: 'The conversation it belongs to; null when it is in none.' }) conversationId: string | null
  @Field(() => Float, { description: 'Input-equivalent tokens: input + 1.25 × 5-minute cache writes + 2 × 1-hour cache writes + 0.1 × cache reads + 5 × output.' }) weight: number
  @Field(() => Float, { description: 'Fraction of the window given to this request.' }) utilization: number
}

@ObjectType({ description: 'The part of a quota window one model, key or conversation consumed.' })
export class QuotaGroupShare implements GroupShare {
  @Field(() => String, { nullable: true, description: 'The model, key or conversation id; null for requests without one.' }) key: string | null
  @Field(() => Float, { description: 'Fraction of the window.' }) utilization: number
  @Field(() => Float, { description: 'Share of the attributed utilization, 0 to 1.' }) fraction: number
  @Field(() => Int) requests: number
  @Field(() => Float) weight: number
}

@ObjectType({ description: 'Where the window is heading at the burn rate of about the last hour.' })
export class QuotaProjection implements BurnProjection {
  @Field(() => Float, { description: 'Utilization gained per hour.' }) ratePerHour: number
  @Field(() => Date, { description: 'Start of the span the rate is measured over.' }) sinceAt: Date
  @Field(() => Float, { description: 'Seconds from the latest snapshot until utilization reaches 1.' }) secondsToLimit: number
  @Field(() => Date) projectedLimitAt: Date
  @Field(() => Boolean, { description: 'The limit comes before the window resets.' }) reachesLimitBeforeReset: boolean
}

@ObjectType({
  description:
    'Which requests, models, keys and conversations consumed the window: each rise of utilization between consecutive snapshots of the organization (or, without one, of the key) is shared by the requests that completed between them, by input-equivalent tokens. A rise with no such request is unattributed (spent elsewhere on the same account).',
})
export class QuotaAttributionReport {
  @Field(() => Date) windowStartedAt: Date
  @Field(() => Float, { description: 'Utilization at the latest snapshot.' }) utilization: number
  @Field(() => Float) attributedUtilization: number
  @Field(() => Float, { description: 'Rises with no request through this proxy to give them to.' }) unattributedUtilization: number
  @Field(() => [QuotaGroupShare], { description: 'By model, largest first.' }) byModel: QuotaGroupShare[]
  @Field(() => [QuotaGroupShare], { description: 'By API-key fingerprint, largest first.' }) byApiKey: QuotaGroupShare[]
  @Field(() => [QuotaGroupShare], { description: 'By conversation (key: Conversation.id; null for requests in none), largest first.' }) byConversation: QuotaGroupShare[]
  @Field(() => [QuotaRequestShare], { description: 'The requests with the largest shares, largest first (at most 50).' }) topRequests: QuotaRequestShare[]
  @Field(() => Int, { description: 'Requests that received a share.' }) requestCount: number
  @Field(() => Int, { description: 'Requests completed after the latest snapshot, not reflected yet.' }) pendingRequests: number
  @Field(() => QuotaProjection, { nullable: true, description: 'Null while utilization is not rising.' }) projection: QuotaProjection | null
}

/** What a QuotaWindow is resolved from: what it shows, and what its attribution reads. */
export interface QuotaWindowSource {
  name: '5h' | '7d'
  utilization: number | null
  status: string | null
  resetsAt: Date | null
  resetsInSeconds: number | null
  startedAt: Date | null
  /** The snapshot it was read from, the last point its attribution uses. */
  latest: RateLimitSnapshotRecord
}

@ObjectType({ description: 'A subscription quota window (5 hours or 7 days) as last reported.' })
export class QuotaWindow {
  @Field(() => String, { description: '5h or 7d.' }) name: string
  @Field(() => Float, { nullable: true, description: 'Fraction used, 0 to 1.' }) utilization: number | null
  @Field(() => String, { nullable: true }) status: string | null
  @Field(() => Date, { nullable: true }) resetsAt: Date | null
  @Field(() => Float, { nullable: true, description: 'Seconds from now until it resets; 0 once past.' }) resetsInSeconds: number | null
  @Field(() => Date, { nullable: true, description: 'resetsAt less the window length.' }) startedAt: Date | null
}

@ObjectType({ description: 'The latest rate-limit state of one organization and API key, with time to reset.' })
export class RateLimitStatus {
  @Field(() => String, { nullable: true }) organizationId: string | null
  @Field(() => String, { nullable: true }) apiKeyFingerprint: string | null
  @Field(() => Date, { description: 'When the latest snapshot was observed.' }) observedAt: Date
  @Field(() => String, { nullable: true, description: 'Subscription quota status: allowed, allowed_warning or rejected.' }) status: string | null
  @Field(() => String, { nullable: true }) representativeClaim: string | null
  @Field(() => Date, { nullable: true }) resetsAt: Date | null
  @Field(() => Float, { nullable: true, description: 'Seconds from now until the unified quota resets; 0 once past.' }) resetsInSeconds: number | null
  @Field(() => QuotaWindow, { nullable: true }) fiveHour: QuotaWindowSource | null
  @Field(() => QuotaWindow, { nullable: true }) sevenDay: QuotaWindowSource | null
  @Field(() => RateLimitBucket, { nullable: true }) requests: RateLimitBucket | null
  @Field(() => RateLimitBucket, { nullable: true }) tokens: RateLimitBucket | null
  @Field(() => RateLimitBucket, { nullable: true }) inputTokens: RateLimitBucket | null
  @Field(() => RateLimitBucket, { nullable: true }) outputTokens: RateLimitBucket | null
  @Field(() => RateLimitSnapshot) snapshot: RateLimitSnapshotRecord
}
