import { isUtf8 } from 'node:buffer'
import type { RequestRecord } from './request-record'
import { storableText } from './storable-text'

/**
 * A request body as captured: the bytes the proxy forwarded, decoded to text only when someone
 * reads it. Decoding a 200 KB body costs over a millisecond of CPU (V8 allocates strings that
 * large in its large-object space, with mmap and page faults), most of the proxy's per-request
 * budget, while the database takes the bytes as they are.
 */
export class RequestBody {
  #text: string | undefined
  #isStorableAsIs: boolean | undefined

  constructor(readonly bytes: Buffer) {}

  /** UTF-8 text, made storable (see `storableText`); decoded once, on first read. */
  get text(): string {
    return (this.#text ??= storableText(this.bytes.toString('utf8')))
  }

  /** Valid UTF-8 without NUL: PostgreSQL stores these bytes in a text column exactly as they are. */
  get isStorableAsIs(): boolean {
    return (this.#isStorableAsIs ??= isUtf8(this.bytes) && this.bytes.indexOf(0) === -1)
  }
}

type RecordFields = Omit<RequestRecord, 'requestBody'>

/** Where a record built by `withRequestBody` keeps its body: own, not enumerable, so neither JSON nor a spread copies it. */
const BODY = Symbol('request body')

/** One getter for every record: V8 then gives all records one hidden class, where a getter of their own would cost one each. */
const REQUEST_BODY_GETTER: PropertyDescriptor = {
  get(this: { [BODY]: RequestBody }) {
    return this[BODY].text
  },
  enumerable: true,
}

/**
 * Completes a copy of `fields` into a RequestRecord whose `requestBody` is a getter over `body`:
 * it reads like a plain string property (enumerable, so JSON and spreads see it) but decodes on
 * first use.
 */
export function withRequestBody(fields: RecordFields, body: RequestBody): RequestRecord {
  return attachBody(fieldsAroundBody(fields), body)
}

/**
 * A copy of `record` with `changes`, whose body still decodes only when read: a spread would
 * read the getter and decode every body it copies.
 */
export function recordWith(record: RequestRecord, changes: Partial<RecordFields>): RequestRecord {
  const body = bodyOf(record)
  return body === undefined ? { ...record, ...changes } : attachBody(Object.assign(fieldsAroundBody(record), changes), body)
}

function bodyOf(record: RequestRecord): RequestBody | undefined {
  return (record as Partial<{ [BODY]: RequestBody }>)[BODY]
}

function attachBody(fields: RecordFields, body: RequestBody): RequestRecord {
  Object.defineProperty(fields, BODY, { value: body })
  return Object.defineProperty(fields, 'requestBody', REQUEST_BODY_GETTER) as RequestRecord
}

/**
 * Every field of `record` but its request body, which is not read (so not decoded), as one object
 * literal with every field present (an optional one absent from `record` is undefined here).
 * Records are copied a few times per exchange: a spread followed by
 * a new property, or an object filled key by key, costs V8 a hidden class or a hash table per copy,
 * microseconds each; a literal costs a few dozen nanoseconds. Listing every field is checked by the
 * type: one added to RequestRecord and not here fails to compile.
 */
export function fieldsAroundBody(record: RecordFields): RecordFields {
  return {
    id: record.id,
    status: record.status,
    startedAt: record.startedAt,
    completedAt: record.completedAt,
    method: record.method,
    path: record.path,
    query: record.query,
    userAgent: record.userAgent,
    model: record.model,
    routedModel: record.routedModel,
    translation: record.translation,
    provider: record.provider,
    stream: record.stream,
    demoted: record.demoted,
    httpStatus: record.httpStatus,
    upstreamRequestId: record.upstreamRequestId,
    stopReason: record.stopReason,
    error: record.error,
    errorCode: record.errorCode,
    responseHeadersMs: record.responseHeadersMs,
    ttfbMs: record.ttfbMs,
    durationMs: record.durationMs,
    requestHeaders: record.requestHeaders,
    requestBodyBytes: record.requestBodyBytes,
    requestBodyIsJson: record.requestBodyIsJson,
    responseHeaders: record.responseHeaders,
    responseBody: record.responseBody,
    responseSse: record.responseSse,
    responseBodyBytes: record.responseBodyBytes,
    usage: record.usage,
    apiKeyFingerprint: record.apiKeyFingerprint,
    organizationId: record.organizationId,
    runId: record.runId,
    costUsd: record.costUsd,
    priceId: record.priceId,
    costStatus: record.costStatus,
    headerRewrites: record.headerRewrites,
    rateLimit: record.rateLimit,
  } satisfies Record<keyof RecordFields, unknown>
}

/** What the writer binds for `request_body`: the raw bytes when they store as they are, else the text. */
export function requestBodyParameter(record: RequestRecord): Buffer | string {
  const body = bodyOf(record)
  return body !== undefined && body.isStorableAsIs ? body.bytes : record.requestBody
}

/** The forwarded bytes behind a record's body, or null for a record built with a plain string body. */
export function requestBodyBytesOf(record: RequestRecord): Buffer | null {
  return bodyOf(record)?.bytes ?? null
}
