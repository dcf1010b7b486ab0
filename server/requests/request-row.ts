import type { RequestRecord, StreamChunkRecord, UsageRecord } from '../records/request-record'
import type { RequestEntity } from '../store/entities/request.entity'
import type { StreamChunkEntity } from '../store/entities/stream-chunk.entity'

/** The body columns a list leaves out: they can be megabytes each, and most views never show them. */
export const BODY_FIELDS = ['requestBody', 'responseBody', 'responseSse'] as const
export type BodyField = (typeof BODY_FIELDS)[number]
export type RequestBodies = Pick<RequestRecord, BodyField>

/** A record without its bodies, as a list reads it. */
export type RequestSummary = Omit<RequestRecord, BodyField>

/** What a GraphQL `Request` is resolved from: a full record (live, or read by id) or a summary whose bodies load on demand. */
export type RequestSource = RequestSummary & Partial<RequestBodies>

const USAGE_FIELDS = [
  'inputTokens',
  'outputTokens',
  'cacheCreationInputTokens',
  'cacheCreation5mInputTokens',
  'cacheCreation1hInputTokens',
  'cacheReadInputTokens',
  'thinkingTokens',
  'webSearchRequests',
  'webFetchRequests',
  'serviceTier',
] as const satisfies readonly (keyof UsageRecord & keyof RequestEntity)[]

/** Entity properties a list selects: every column but the bodies. */
export const SUMMARY_COLUMNS = [
  'id', 'status', 'startedAt', 'completedAt', 'method', 'path', 'query', 'userAgent', 'model', 'routedModel',
  'provider', 'stream', 'demoted', 'httpStatus', 'upstreamRequestId', 'stopReason', 'error', 'errorCode',
  'responseHeadersMs', 'ttfbMs', 'durationMs', 'requestHeaders', 'requestBodyBytes', 'requestBodyIsJson',
  'responseHeaders', 'responseBodyBytes', 'apiKeyFingerprint', 'organizationId', 'runId', ...USAGE_FIELDS,
] as const satisfies readonly (keyof RequestEntity)[]

/** The one place a `requests` row becomes the capture domain's record (bodies left out). */
export function toRequestSummary(row: RequestEntity): RequestSummary {
  const usage = USAGE_FIELDS.some((field) => row[field] !== null) ? pickUsage(row) : null
  return {
    id: row.id,
    status: row.status,
    startedAt: row.startedAt,
    completedAt: row.completedAt,
    method: row.method,
    path: row.path,
    query: row.query,
    userAgent: row.userAgent,
    model: row.model,
    routedModel: row.routedModel,
    provider: row.provider,
    stream: row.stream,
    demoted: row.demoted,
    httpStatus: row.httpStatus,
    upstreamRequestId: row.upstreamRequestId,
    stopReason: row.stopReason,
    error: row.error,
    errorCode: row.errorCode,
    responseHeadersMs: row.responseHeadersMs,
    ttfbMs: row.ttfbMs,
    durationMs: row.durationMs,
    requestHeaders: row.requestHeaders,
    requestBodyBytes: row.requestBodyBytes,
    requestBodyIsJson: row.requestBodyIsJson,
    responseHeaders: row.responseHeaders,
    responseBodyBytes: row.responseBodyBytes,
    usage,
    apiKeyFingerprint: row.apiKeyFingerprint,
    organizationId: row.organizationId,
    runId: row.runId,
  }
}

/** A whole row, bodies included. */
export function toRequestRecord(row: RequestEntity): RequestRecord {
  return { ...toRequestSummary(row), requestBody: row.requestBody, responseBody: row.responseBody, responseSse: row.responseSse }
}

export function toChunkRecord(row: StreamChunkEntity): StreamChunkRecord {
  return { requestId: row.requestId, seq: row.seq, event: row.event, data: row.data, offsetMs: row.offsetMs, bytes: row.bytes }
}

function pickUsage(row: RequestEntity): UsageRecord {
  return {
    inputTokens: row.inputTokens,
    outputTokens: row.outputTokens,
    cacheCreationInputTokens: row.cacheCreationInputTokens,
    cacheCreation5mInputTokens: row.cacheCreation5mInputTokens,
    cacheCreation1hInputTokens: row.cacheCreation1hInputTokens,
    cacheReadInputTokens: row.cacheReadInputTokens,
    thinkingTokens: row.thinkingTokens,
    webSearchRequests: row.webSearchRequests,
    webFetchRequests: row.webFetchRequests,
    serviceTier: row.serviceTier,
  }
}
