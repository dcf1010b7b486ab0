import type { RequestBodies, RequestSummary } from '../store/tables/requests.table'

export type { RequestBodies, RequestSummary }

/** What a GraphQL `Request` is resolved from: a full record (live, or read by id) or a summary whose bodies load on demand. */
export type RequestSource = RequestSummary & Partial<RequestBodies>
