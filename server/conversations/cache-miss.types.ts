import { GraphQLSafeInt } from 'graphql-scalars'
import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql'
import type { CacheMissReason as CacheMissReasonValue } from './cache-misses'

export const CacheMissReason = {
  FIRST_TURN: 'FIRST_TURN',
  MODEL_CHANGED: 'MODEL_CHANGED',
  TTL_EXPIRED: 'TTL_EXPIRED',
  TOOLS_CHANGED: 'TOOLS_CHANGED',
  SYSTEM_CHANGED: 'SYSTEM_CHANGED',
  MESSAGES_EDITED: 'MESSAGES_EDITED',
  UNEXPLAINED: 'UNEXPLAINED',
} as const satisfies Record<CacheMissReasonValue, CacheMissReasonValue>
registerEnumType(CacheMissReason, {
  name: 'CacheMissReason',
  description: 'Why a request did not read from the prompt cache what the previous turn of its thread had cached.',
  valuesConfig: {
    FIRST_TURN: { description: 'No earlier turn in the thread (nor in the thread an edit forked from): there was nothing to read yet.' },
    MODEL_CHANGED: { description: 'Another model served it than the previous turn: each model has its own cache.' },
    TTL_EXPIRED: { description: "More time passed since the previous turn read or wrote the cache than its breakpoint's TTL (5 minutes, or 1 hour)." },
    TOOLS_CHANGED: { description: 'Its tool definitions differ from the previous turn\'s: tools come first in the cached prefix, so nothing after them was read.' },
    SYSTEM_CHANGED: { description: 'Its system prompt differs from the previous turn\'s: the messages after it were not read.' },
    MESSAGES_EDITED: { description: 'Its history is not the previous turn\'s messages followed by new ones: an earlier message was edited, removed or rewound.' },
    UNEXPLAINED: {
      description: 'Nothing visible changed and the TTL had not run out: the cache was evicted early, the breakpoints moved, or the previous turn was still being written when this one started.',
    },
  },
})

@ObjectType({
  description:
    'Why a request wrote to the prompt cache what it could have read, and what that cost. A turn that only wrote its new messages (after reading the whole cached prefix) has none.',
})
export class CacheMiss {
  @Field(() => CacheMissReason, { description: 'The cause that explains the miss (the first of causes).' }) reason: CacheMissReasonValue
  @Field(() => [CacheMissReason], { description: 'Every cause that holds, reason first (an idle gap and a changed system prompt can both hold).' })
  causes: CacheMissReasonValue[]
  @Field(() => ID, { nullable: true, description: 'The turn compared with; null on FIRST_TURN.' }) previousRequestId: string | null
  @Field(() => Float, { nullable: true, description: 'Seconds from the end of the previous turn to the start of this one.' }) idleSeconds: number | null
  @Field(() => Float, { nullable: true, description: 'Seconds since the previous turn started, when it last read or wrote the cache (a read refreshes the TTL): what the TTL is compared with.' })
  cacheAgeSeconds: number | null
  @Field(() => Int, { nullable: true, description: "TTL in seconds of the previous turn's last cache breakpoint: 300 (5m, the default) or 3600 (1h)." }) ttlSeconds: number | null
  @Field(() => GraphQLSafeInt, { description: 'What the previous turn cached (its cache reads plus writes): the most this turn could read.' }) expectedReadTokens: number
  @Field(() => GraphQLSafeInt, { description: 'Tokens this turn read from the cache.' }) cacheReadTokens: number
  @Field(() => GraphQLSafeInt, { description: 'Tokens this turn wrote to the cache.' }) cacheWriteTokens: number
  @Field(() => GraphQLSafeInt, { description: 'Cache writes that would have been reads: the smaller of the writes and the shortfall (expected less read). 0 on FIRST_TURN.' })
  missedTokens: number
  @Field(() => GraphQLSafeInt, { description: 'Of the missed tokens, those written with a 1-hour TTL (a prefix\'s 1-hour entries come first).' }) missed1hTokens: number
  @Field(() => GraphQLSafeInt, { description: 'Of the missed tokens, those written with a 5-minute TTL.' }) missed5mTokens: number
  @Field(() => Float, { nullable: true, description: "USD the miss cost: missed tokens at (write price − read price) of the request's own price row; null when the request is not priced." })
  missCostUsd: string | null
  @Field(() => String, { nullable: true, description: 'missCostUsd as an exact decimal.' }) missCostUsdExact: string | null
}

@ObjectType({ description: "A conversation's cache misses of one reason." })
export class CacheMissReasonTotal {
  @Field(() => CacheMissReason) reason: CacheMissReasonValue
  @Field(() => Int, { description: 'Requests whose miss has this reason.' }) requests: number
  @Field(() => GraphQLSafeInt) missedTokens: number
  @Field(() => Float, { description: 'USD, over the priced requests.' }) missCostUsd: string
  @Field(() => String) missCostUsdExact: string
}

@ObjectType({ description: "A conversation's cache misses: how many, what they cost, by reason." })
export class CacheMissTotals {
  @Field(() => Int, { description: 'Requests with a miss (FIRST_TURN included).' }) requests: number
  @Field(() => GraphQLSafeInt) missedTokens: number
  @Field(() => Float, { description: 'USD, over the priced requests.' }) missCostUsd: string
  @Field(() => String) missCostUsdExact: string
  @Field(() => Int, { description: 'Requests with missed tokens but no price (unknown model, or not priced yet): not in missCostUsd.' }) unpricedRequests: number
  @Field(() => [CacheMissReasonTotal], { description: 'One entry per reason that occurred, costliest first.' }) byReason: CacheMissReasonTotal[]
}
