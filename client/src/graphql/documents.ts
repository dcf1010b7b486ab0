import { gql } from '@urql/core'

/**
 * Every GraphQL operation the dashboard sends, with hand-written result types beside it.
 * `test/client/documents.test.ts` validates each document against the committed `schema.graphql`,
 * so a renamed or removed field fails the build instead of the page.
 */

export type RequestStatus = 'IN_FLIGHT' | 'COMPLETED' | 'FAILED' | 'ABORTED'

/** Recorded JSON (bodies, headers): whatever the client or upstream sent, so never trusted. */
/** JSON as the dashboard holds it; `bigint` for integers beyond 2^53 in recorded bodies (see exact-json.ts). */
export type JsonValue = string | number | bigint | boolean | null | JsonValue[] | { [key: string]: JsonValue }

/** RequestFilter input: every condition given must hold; absent means no condition. */
export interface RequestFilter {
  models?: string[]
  statuses?: RequestStatus[]
  stream?: boolean
  /** Case-insensitive text in the request or response body. */
  search?: string
  /** ISO-8601 instant, inclusive. */
  from?: string
  /** ISO-8601 instant, exclusive. */
  to?: string
}

export interface Usage {
  inputTokens: number | null
  outputTokens: number | null
  cacheCreationInputTokens: number | null
  cacheReadInputTokens: number | null
  thinkingTokens: number | null
}

/** The fields a list row shows; live events carry the same selection. */
export interface RequestSummary {
  id: string
  startedAt: string
  completedAt: string | null
  method: string
  path: string
  query: string | null
  model: string | null
  routedModel: string | null
  provider: string
  stream: boolean
  status: RequestStatus
  httpStatus: number | null
  stopReason: string | null
  error: string | null
  errorCode: string | null
  ttfbMs: number | null
  durationMs: number | null
  usage: Usage | null
}

/** One request with everything the detail panel shows. */
export interface RequestDetail extends RequestSummary {
  upstreamRequestId: string | null
  userAgent: string | null
  apiKeyFingerprint: string | null
  requestHeaders: JsonValue
  /** Exact body texts: the JSON scalar would round integers beyond 2^53. */
  requestBodyText: string | null
  responseHeaders: JsonValue
  responseBodyText: string | null
}

const REQUEST_SUMMARY_FIELDS = gql`
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
  }
`

export interface RequestsPageData {
  requests: {
    nodes: RequestSummary[]
    pageInfo: { hasNextPage: boolean; endCursor: string | null }
    totalCount: number
  }
}

export interface RequestsPageVariables {
  filter: RequestFilter
  first: number
  after: string | null
}

/** One page of the request list, newest first. */
export const REQUESTS_PAGE = gql<RequestsPageData, RequestsPageVariables>`
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
  ${REQUEST_SUMMARY_FIELDS}
`

export interface RequestDetailData {
  request: RequestDetail | null
}

export interface RequestDetailVariables {
  id: string
}

/** Everything the detail panel shows about one request. */
export const REQUEST_DETAIL = gql<RequestDetailData, RequestDetailVariables>`
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
    }
  }
  ${REQUEST_SUMMARY_FIELDS}
`

export interface RequestEventData {
  requestEvents: { kind: RequestStatus; request: RequestSummary }
}

export interface RequestEventVariables {
  filter: RequestFilter
}

/** Matching requests as they start (kind IN_FLIGHT) and end. */
export const REQUEST_EVENTS = gql<RequestEventData, RequestEventVariables>`
  subscription RequestEvents($filter: RequestFilter) {
    requestEvents(filter: $filter) {
      kind
      request {
        ...RequestSummaryFields
      }
    }
  }
  ${REQUEST_SUMMARY_FIELDS}
`
