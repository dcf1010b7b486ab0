import { graphql, type ResultOf, type VariablesOf } from './graphql'

/**
 * Every GraphQL operation the dashboard sends. Their result and variable types are inferred from
 * schema.graphql (see graphql.ts); `test/client/documents.test.ts` also validates each document
 * against it at run time.
 */

export type { JsonValue } from './graphql'

const REQUEST_SUMMARY_FIELDS = graphql(`
  fragment RequestSummaryFields on Request {
    id
    startedAt
    completedAt
    method
    path
    query
    model
    routedModel
    provider
    stream
    status
    httpStatus
    stopReason
    error
    errorCode
    ttfbMs
    durationMs
    usage {
      inputTokens
      outputTokens
      cacheCreationInputTokens
      cacheReadInputTokens
      thinkingTokens
    }
    costUsd
    costStatus
  }
`)

/** One page of the request list, newest first. */
export const REQUESTS_PAGE = graphql(
  `
    query RequestsPage($filter: RequestFilter, $first: Int, $after: String) {
      requests(filter: $filter, first: $first, after: $after) {
        nodes {
          ...RequestSummaryFields
        }
        pageInfo {
          hasNextPage
          endCursor
        }
        totalCount
      }
    }
  `,
  [REQUEST_SUMMARY_FIELDS],
)

/** Everything the detail panel shows about one request. */
export const REQUEST_DETAIL = graphql(
  `
    query RequestDetail($id: ID!) {
      request(id: $id) {
        ...RequestSummaryFields
        upstreamRequestId
        userAgent
        apiKeyFingerprint
        requestHeaders
        requestBodyText
        responseHeaders
        responseBodyText
        responseSse
        usage {
          cacheCreation5mInputTokens
          cacheCreation1hInputTokens
        }
        cacheMiss {
          reason
          causes
          idleSeconds
          ttlSeconds
          missedTokens
          missCostUsd
        }
        rateLimit {
          observedAt
          unifiedStatus
          unified5hUtilization
          unified5hReset
          unified7dUtilization
          unified7dReset
          unifiedRepresentativeClaim
          requestsRemaining
          requestsLimit
          tokensRemaining
          tokensLimit
          retryAfterSeconds
        }
      }
    }
  `,
  [REQUEST_SUMMARY_FIELDS],
)

/** The SSE events of one response with their arrival times, for its timeline; fetched when the timeline is opened. */
export const REQUEST_TIMELINE = graphql(`
  query RequestTimeline($id: ID!) {
    request(id: $id) {
      id
      ttfbMs
      durationMs
      chunks {
        seq
        event
        data
        offsetMs
      }
    }
  }
`)

/** Matching requests as they start (kind IN_FLIGHT) and end. */
export const REQUEST_EVENTS = graphql(
  `
    subscription RequestEvents($filter: RequestFilter) {
      requestEvents(filter: $filter) {
        kind
        request {
          ...RequestSummaryFields
        }
      }
    }
  `,
  [REQUEST_SUMMARY_FIELDS],
)

/** The SSE events of one response: those so far at once, then each as it arrives; completes when the request ends. */
export const STREAM_CHUNKS = graphql(`
  subscription StreamChunks($requestId: ID!) {
    streamChunks(requestId: $requestId) {
      seq
      event
      data
      offsetMs
    }
  }
`)

/** This instance's link to the live events of the others: now, then on every change. */
export const LIVE_STATUS = graphql(`
  subscription LiveStatus {
    liveStatus {
      transport
      connected
      interruptions
    }
  }
`)

/** Whether capture keeps up: what the header's capture status shows. */
export const CAPTURE_HEALTH = graphql(`
  query CaptureHealth {
    health {
      status
      database
      inFlight
      capture {
        queueItems
        queueBytes
        spoolBytes
        written
        lost
        failedBatches
        reduced
        quarantined
        lastWriteMs
      }
    }
  }
`)

/** The fields a list row shows; live events carry the same selection. */
export type RequestSummary = ResultOf<typeof REQUEST_SUMMARY_FIELDS>
export type RequestStatus = RequestSummary['status']
/** One request with everything the detail panel shows. */
export type RequestDetail = NonNullable<ResultOf<typeof REQUEST_DETAIL>['request']>
/** RequestFilter input: every condition given must hold; absent means no condition. */
export type RequestFilter = NonNullable<VariablesOf<typeof REQUESTS_PAGE>['filter']>
export type RequestsPageData = ResultOf<typeof REQUESTS_PAGE>
export type RequestsPageVariables = VariablesOf<typeof REQUESTS_PAGE>
export type RequestDetailVariables = VariablesOf<typeof REQUEST_DETAIL>
export type RequestEventData = ResultOf<typeof REQUEST_EVENTS>
export type RequestEventVariables = VariablesOf<typeof REQUEST_EVENTS>
export type RequestTimelineData = ResultOf<typeof REQUEST_TIMELINE>
export type RequestTimelineVariables = VariablesOf<typeof REQUEST_TIMELINE>
export type StreamChunksData = ResultOf<typeof STREAM_CHUNKS>
export type LiveStatusData = ResultOf<typeof LIVE_STATUS>
export type CaptureHealth = ResultOf<typeof CAPTURE_HEALTH>['health']
