import type { RateLimitHeaders } from '../wire/rate-limit-headers'

export type { RateLimitHeaders }

/**
 * The rate-limit state one response reported, one point of the time series kept per organization
 * and API-key fingerprint: what capture publishes live (before any database write) and the writer
 * stores with the record, once per request.
 */
export interface RateLimitSnapshotRecord extends RateLimitHeaders {
  /** The request whose response carried these headers. */
  requestId: string
  /** When the response headers arrived. */
  observedAt: Date
  organizationId: string | null
  apiKeyFingerprint: string | null
  /** Model the client asked for, for display beside the snapshot. */
  model: string | null
  httpStatus: number
}
