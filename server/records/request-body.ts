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

const bodies = new WeakMap<RequestRecord, RequestBody>()

/**
 * Completes `fields` into a RequestRecord whose `requestBody` is a getter over `body`: it reads
 * like a plain string property (enumerable, so JSON and spreads see it) but decodes on first use.
 */
export function withRequestBody(fields: Omit<RequestRecord, 'requestBody'>, body: RequestBody): RequestRecord {
  const record = Object.defineProperty(fields, 'requestBody', { get: () => body.text, enumerable: true }) as RequestRecord
  bodies.set(record, body)
  return record
}

/** Every field of `record` but its request body, which is not read (so not decoded). */
export function fieldsAroundBody(record: RequestRecord): Omit<RequestRecord, 'requestBody'> {
  const fields: Record<string, unknown> = {}
  for (const key of Object.keys(record)) if (key !== 'requestBody') fields[key] = record[key as keyof RequestRecord]
  return fields as Omit<RequestRecord, 'requestBody'>
}

/**
 * A copy of `record` with `changes`, whose body still decodes only when read: a spread would
 * read the getter and decode every body it copies.
 */
export function recordWith(record: RequestRecord, changes: Partial<Omit<RequestRecord, 'requestBody'>>): RequestRecord {
  const body = bodies.get(record)
  return body === undefined ? { ...record, ...changes } : withRequestBody({ ...fieldsAroundBody(record), ...changes }, body)
}

/** What the writer binds for `request_body`: the raw bytes when they store as they are, else the text. */
export function requestBodyParameter(record: RequestRecord): Buffer | string {
  const body = bodies.get(record)
  return body !== undefined && body.isStorableAsIs ? body.bytes : record.requestBody
}

/** The forwarded bytes behind a record's body, or null for a record built with a plain string body. */
export function requestBodyBytesOf(record: RequestRecord): Buffer | null {
  return bodies.get(record)?.bytes ?? null
}
