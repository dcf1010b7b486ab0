import type { UsageRecord } from '../wire/usage'
import type { RateLimitSnapshotRecord } from './rate-limit-snapshot'

/**
 * The shared word for one exchange through /v1/*: what capture builds from proxy events, what the
 * store persists (one row, upserted by id), what the live bus carries and what the API reads.
 * Every layer imports it; it imports nothing but the usage shape the wire defines.
 * Its storage columns are described in store/tables; GraphQL shapes live in requests/.
 */
export type { UsageRecord }

export type RequestStatus = 'IN_FLIGHT' | 'COMPLETED' | 'FAILED' | 'ABORTED'

/**
 * Where every exchange goes until routing exists: to Anthropic, with the model the client asked
 * for (no routed model). The one place these are set; routing will decide them per exchange.
 */
export const UNROUTED: Readonly<Pick<RequestRecord, 'provider' | 'routedModel' | 'translation'>> = { routedModel: null, provider: 'anthropic', translation: null }

export interface RequestRecord {
  id: string
  status: RequestStatus
  startedAt: Date
  completedAt: Date | null
  method: string
  path: string
  query: string | null
  /** Client's user-agent, e.g. `claude-cli/2.1.3 (external, cli)`. */
  userAgent: string | null
  /** Model the client asked for. */
  model: string | null
  /** Model actually sent upstream when routing changed it; null when unchanged. */
  routedModel: string | null
  /**
   * The wire translation the exchange went through when routing sent it to another provider (e.g.
   * `anthropic-to-chat-completions`); null when it went as sent. Absent in records spooled before it existed.
   */
  translation?: string | null
  /** `anthropic` or `openai`. */
  provider: string
  /** The client asked for a stream (`"stream": true` in the body). */
  stream: boolean
  /**
   * The client asked for a JSON answer, which the proxy fetched upstream as a stream (demotion):
   * `stream` and the request body are the client's, `responseSse` is upstream's stream and
   * `responseBody` the Message the client got. Absent in records spooled before it existed.
   */
  demoted: boolean
  httpStatus: number | null
  upstreamRequestId: string | null
  stopReason: string | null
  /** Why the exchange failed or what broke mid-stream (`streamError`). */
  error: string | null
  /** Stable error code when the proxy produced the failure (e.g. UPSTREAM_RESET). */
  errorCode: string | null
  responseHeadersMs: number | null
  ttfbMs: number | null
  durationMs: number | null
  /** Redacted: secrets replaced by keyed fingerprints, so none is ever stored. */
  requestHeaders: Record<string, string | string[]>
  /** Request body as UTF-8 text, exactly as forwarded (valid JSON or not). */
  requestBody: string
  requestBodyBytes: number
  /** True when requestBody parsed as JSON. */
  requestBodyIsJson: boolean
  responseHeaders: Record<string, string | string[]> | null
  /** JSON text of the response body; for streams, the reconstructed Message. Decompressed. */
  responseBody: string | null
  /** Raw SSE text of a streamed response (decompressed), else null. */
  responseSse: string | null
  responseBodyBytes: number | null
  usage: UsageRecord | null
  apiKeyFingerprint: string | null
  organizationId: string | null
  /**
   * The capture run (process) that recorded it. When that run dies before the exchange ends, the
   * record is swept to ABORTED with `CAPTURE_ORPHANED` (see capture-runs). Null in records spooled
   * before runs existed.
   */
  runId: string | null
  /**
   * What the exchange cost in USD, as an exact decimal string; null when it is not priced (see
   * `costStatus`). Set off the forwarding path, by the writer, from the price book; absent until then.
   */
  costUsd?: string | null
  /** The price-book row the cost was computed with, kept so a cost can be explained and redone. */
  priceId?: string | null
  /** Why the record has the cost it has; null until the writer priced it. */
  costStatus?: CostStatus | null
  /**
   * What header rules did to this exchange; null when no rule fired. `requestHeaders` and
   * `responseHeaders` stay as received (from the client, from upstream). Absent in records spooled
   * before rules existed.
   */
  headerRewrites: HeaderRewriteRecord | null
  /**
   * What the response's rate-limit headers said, parsed off the forwarding path; null when it
   * carried none. Absent in records spooled before it existed, and in rows read back (the
   * snapshot is stored in a table of its own).
   */
  rateLimit?: RateLimitSnapshotRecord | null
}

/** A header rule that fired on an exchange, as it stood then (the rule may since have changed or gone). */
export interface FiredHeaderRuleRecord {
  id: string
  scope: 'REQUEST' | 'RESPONSE'
  /** Lower-case header name. */
  header: string
  action: 'BLOCK' | 'SET' | 'REPLACE'
}

/** What header rules did to one exchange. */
export interface HeaderRewriteRecord {
  /** The rules that fired: REQUEST ones in the order applied, then RESPONSE ones. */
  fired: FiredHeaderRuleRecord[]
  /** The headers sent upstream, redacted, when a REQUEST rule fired; else null. */
  upstreamRequestHeaders: Record<string, string | string[]> | null
  /** The headers returned to the client, redacted, when a RESPONSE rule fired; else null. */
  clientResponseHeaders: Record<string, string | string[]> | null
}

/**
 * PRICED: `costUsd` holds the cost. UNKNOWN_MODEL: the price book has no price for the model, so
 * the cost is unknown (never taken as 0). NOT_BILLED: the endpoint is free (count_tokens).
 * NO_USAGE: the response reported no usage (an error, an aborted call, a non-message endpoint).
 */
export type CostStatus = 'PRICED' | 'UNKNOWN_MODEL' | 'NOT_BILLED' | 'NO_USAGE'

/** One SSE event of a streamed response, with its arrival offset from the request's start. */
export interface StreamChunkRecord {
  requestId: string
  seq: number
  event: string | null
  data: string
  offsetMs: number
  bytes: number
}
