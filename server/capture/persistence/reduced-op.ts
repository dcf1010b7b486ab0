import { chunkList, NO_CHUNKS, type CaptureOp } from '../capture-op'
import { boundIndexedText } from '../indexed-text'
import { fieldsAroundBody, requestBodyBytesOf, RequestBody, withRequestBody } from '../../records/request-body'
import type { RequestRecord, StreamChunkRecord, UsageRecord } from '../../records/request-record'
import { storableText } from '../../records/storable-text'

/** Stored as `error_code` of a record written in reduced form (unless it had a code of its own). */
const REDUCED_ERROR_CODE = 'CAPTURE_REDUCED'

const INT4_MAX = 2 ** 31 - 1

/**
 * The op as the database can take it after refusing it as captured (`why`: the error's SQLSTATE
 * and message), for records no recorder bound (spooled by an older version) or values nothing
 * foresaw. Bodies and headers are kept, made storable; short text fields are bounded like indexed
 * columns; numbers out of their column's range become null. `error` starts with CAPTURE_REDUCED
 * and says why, so a reader knows fields may be cut. What this cannot fix (a malformed id, say)
 * still fails, and the op goes to quarantine.
 */
export function reduceOp(op: CaptureOp, why: string): CaptureOp {
  const r = op.record
  const note = `${REDUCED_ERROR_CODE}: the database refused this record as captured (${why}); stored with long fields truncated and out-of-range numbers dropped`
  // Every field as captured (the body is not read: it is bound as its bytes), then each one a column can refuse made storable.
  const fields: Omit<RequestRecord, 'requestBody'> = {
    ...fieldsAroundBody(r),
    method: short(r.method),
    path: short(r.path),
    query: shortOrNull(r.query),
    userAgent: shortOrNull(r.userAgent),
    model: shortOrNull(r.model),
    routedModel: shortOrNull(r.routedModel),
    provider: short(r.provider),
    demoted: r.demoted ?? false,
    httpStatus: int4OrNull(r.httpStatus),
    upstreamRequestId: shortOrNull(r.upstreamRequestId),
    stopReason: shortOrNull(r.stopReason),
    error: r.error === null ? note : `${note}; ${text(r.error)}`,
    errorCode: r.errorCode === null ? REDUCED_ERROR_CODE : short(r.errorCode),
    responseHeadersMs: finiteOrNull(r.responseHeadersMs),
    ttfbMs: finiteOrNull(r.ttfbMs),
    durationMs: finiteOrNull(r.durationMs),
    requestHeaders: headers(r.requestHeaders),
    requestBodyBytes: Math.min(r.requestBodyBytes, INT4_MAX),
    responseHeaders: r.responseHeaders === null ? null : headers(r.responseHeaders),
    responseBody: r.responseBody === null ? null : text(r.responseBody),
    responseSse: r.responseSse === null ? null : text(r.responseSse),
    responseBodyBytes: int4OrNull(r.responseBodyBytes),
    usage: r.usage === null ? null : usage(r.usage),
    apiKeyFingerprint: shortOrNull(r.apiKeyFingerprint),
    organizationId: shortOrNull(r.organizationId),
    // The snapshot is parsed and bounded by capture; should the database refuse it all the same, the record goes without it.
    rateLimit: null,
  }
  const bytes = requestBodyBytesOf(r)
  const record = bytes === null ? { ...fields, requestBody: text(r.requestBody) } : withRequestBody(fields, new RequestBody(bytes))
  return op.kind === 'start' ? { kind: 'start', record } : { kind: 'complete', record, chunks: chunkList(op.chunks.records().map(chunk)) }
}

/** Stored as `error_code` of the bare row left for a record the database refused even reduced. */
const SET_ASIDE_ERROR_CODE = 'CAPTURE_SET_ASIDE'

/**
 * What the table keeps of an op the database refused even reduced: the reduced record without
 * response bodies, stream events or (for a start the table does not hold yet) request body, its
 * `error` saying where the whole op went (`whereaboutsNote`). So its row never stays IN_FLIGHT and
 * a reader sees why it is bare.
 */
export function bareOp(op: CaptureOp, why: string, whereaboutsNote: string): CaptureOp {
  const reduced = reduceOp(op, why).record
  const note = `${SET_ASIDE_ERROR_CODE}: the database refused this record even reduced (${why}); ${whereaboutsNote}`
  const record = withRequestBody({ ...fieldsAroundBody(reduced), error: note, errorCode: SET_ASIDE_ERROR_CODE, responseBody: null, responseSse: null }, new RequestBody(Buffer.alloc(0)))
  return op.kind === 'start' ? { kind: 'start', record } : { kind: 'complete', record, chunks: NO_CHUNKS }
}

/** A UTF-16 surrogate without its partner, which jsonb refuses (as `\ud800` once JSON-encoded). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/** Text any text or jsonb column takes: no NUL, no lone surrogate (each becomes U+FFFD). */
function text(value: string): string {
  return storableText(value).replace(LONE_SURROGATE, '\uFFFD')
}

function short(value: string): string {
  return boundIndexedText(text(value))
}

function shortOrNull(value: string | null): string | null {
  return value === null ? null : short(value)
}

function int4OrNull(value: number | null): number | null {
  return value !== null && Number.isInteger(value) && Math.abs(value) <= INT4_MAX ? value : null
}

function int8OrNull(value: number | null): number | null {
  return value !== null && Number.isSafeInteger(value) ? value : null
}

function finiteOrNull(value: number | null): number | null {
  return value !== null && Number.isFinite(value) ? value : null
}

function headers(values: Record<string, string | string[]>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(values)) out[text(name)] = Array.isArray(value) ? value.map(text) : text(value)
  return out
}

function usage(u: UsageRecord): UsageRecord {
  return {
    inputTokens: int8OrNull(u.inputTokens),
    outputTokens: int8OrNull(u.outputTokens),
    cacheCreationInputTokens: int8OrNull(u.cacheCreationInputTokens),
    cacheCreation5mInputTokens: int8OrNull(u.cacheCreation5mInputTokens),
    cacheCreation1hInputTokens: int8OrNull(u.cacheCreation1hInputTokens),
    cacheReadInputTokens: int8OrNull(u.cacheReadInputTokens),
    thinkingTokens: int8OrNull(u.thinkingTokens),
    webSearchRequests: int4OrNull(u.webSearchRequests),
    webFetchRequests: int4OrNull(u.webFetchRequests),
    serviceTier: shortOrNull(u.serviceTier),
    inferenceGeo: shortOrNull(u.inferenceGeo ?? null),
  }
}

function chunk(c: StreamChunkRecord): StreamChunkRecord {
  return { ...c, event: c.event === null ? null : short(c.event), data: text(c.data), offsetMs: Number.isFinite(c.offsetMs) ? c.offsetMs : 0, bytes: Math.min(c.bytes, INT4_MAX) }
}
