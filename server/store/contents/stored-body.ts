import { requestBodyParameter } from '../../records/request-body'
import type { RequestRecord } from '../../records/request-record'
import { layOutBody, type StoredBody } from './body-layout'

const storedBodies = new WeakMap<RequestRecord, StoredBody>()

/**
 * How `record`'s request body is stored, laid out once per record: a batch the database refused
 * is written again from the same records, and the writer lays bodies out ahead of building its
 * statements (see `CaptureStore.writeBatch`).
 */
export function storedBodyOf(record: RequestRecord): StoredBody {
  let stored = storedBodies.get(record)
  if (stored === undefined) {
    const body = requestBodyParameter(record)
    stored = layOutBody(typeof body === 'string' ? Buffer.from(body) : body)
    storedBodies.set(record, stored)
  }
  return stored
}
