import { graphql, type ResultOf, type VariablesOf } from './graphql'

/** The usage page's GraphQL operations, typed from schema.graphql like documents.ts. */

/** Tokens and cost over a range, by local hour or day of the viewer's time zone and by model. */
export const USAGE_REPORT = graphql(`
  query UsageReport($range: TimeRange!, $groupBy: [UsageGroup!], $timezone: String) {
    usage(range: $range, groupBy: $groupBy, timezone: $timezone) {
      from
      to
      timezone
      unpricedModels
      warnings
      totals {
        requests
        inputTokens
        outputTokens
        cacheCreationInputTokens
        cacheCreation5mInputTokens
        cacheCreation1hInputTokens
        cacheReadInputTokens
        totalInputTokens
        costUsd
        unpricedRequests
      }
      buckets {
        start
        localStart
        model
        requests
        inputTokens
        outputTokens
        cacheCreationInputTokens
        cacheCreation5mInputTokens
        cacheCreation1hInputTokens
        cacheReadInputTokens
        totalInputTokens
        costUsd
        unpricedRequests
      }
    }
  }
`)

/** Cache write prices, to tell what cache writes cost. */
export const CACHE_WRITE_PRICES = graphql(`
  query CacheWritePrices {
    prices {
      model
      effectiveFrom
      minInputTokens
      cacheWrite5mUsdPerMTok
      cacheWrite1hUsdPerMTok
    }
  }
`)

const RATE_LIMIT_STATUS_FIELDS = graphql(`
  fragment RateLimitStatusFields on RateLimitStatus {
    organizationId
    apiKeyFingerprint
    observedAt
    status
    representativeClaim
    fiveHour {
      ...QuotaWindowFields
    }
    sevenDay {
      ...QuotaWindowFields
    }
  }

  fragment QuotaWindowFields on QuotaWindow {
    name
    utilization
    status
    resetsAt
    startedAt
    attribution {
      utilization
      attributedUtilization
      unattributedUtilization
      requestCount
      pendingRequests
      byModel {
        key
        utilization
        fraction
        requests
      }
      byConversation {
        key
        utilization
        requests
      }
      topRequests {
        requestId
        model
        utilization
      }
      projection {
        ratePerHour
        secondsToLimit
        projectedLimitAt
        reachesLimitBeforeReset
      }
    }
  }
`)

/** The latest quota state of every organization and key seen. */
export const RATE_LIMIT_STATUS = graphql(
  `
    query RateLimitStatus {
      rateLimitStatus {
        ...RateLimitStatusFields
      }
    }
  `,
  [RATE_LIMIT_STATUS_FIELDS],
)

/** A new quota state, as soon as a response's headers arrive. */
export const RATE_LIMIT_UPDATED = graphql(
  `
    subscription RateLimitUpdated {
      rateLimitUpdated {
        ...RateLimitStatusFields
      }
    }
  `,
  [RATE_LIMIT_STATUS_FIELDS],
)

export type UsageReport = ResultOf<typeof USAGE_REPORT>['usage']
export type UsageBucket = UsageReport['buckets'][number]
export type UsageReportVariables = VariablesOf<typeof USAGE_REPORT>
export type CacheWritePrice = ResultOf<typeof CACHE_WRITE_PRICES>['prices'][number]
export type RateLimitStatus = ResultOf<typeof RATE_LIMIT_STATUS_FIELDS>
export type QuotaWindow = NonNullable<RateLimitStatus['fiveHour']>
export type QuotaAttribution = NonNullable<QuotaWindow['attribution']>
