import { describe, expect, it, vi } from 'vitest'
import { fieldsAroundBody, recordWith, RequestBody, requestBodyBytesOf, withRequestBody } from '../../server/records/request-body'
import type { RequestRecord } from '../../server/records/request-record'
import { makeRecord } from '../support/record-fixtures'

/** A record with every optional field set too, so a copy that forgot one shows it. */
function fullRecord(): RequestRecord {
  return makeRecord({
    translation: 'openai-chat',
    costUsd: '0.25',
    priceId: 'shipped:claude-sonnet-4-5:1970-01-01:0',
    costStatus: 'PRICED',
    rateLimit: null,
    headerRewrites: { fired: [{ id: 'rule-1', scope: 'REQUEST', header: 'x-team', action: 'SET' }], upstreamRequestHeaders: { 'x-team': 'a' }, clientResponseHeaders: null },
  })
}

describe('records over a captured body', () => {
  it('copy every field the record has, and read the body back from the forwarded bytes', () => {
    const { requestBody, ...fields } = fullRecord()
    const bytes = Buffer.from(requestBody)
    const record = withRequestBody(fields, new RequestBody(bytes))
    expect(record).toEqual({ ...fields, requestBody })
    expect(Object.keys(record).sort()).toEqual(Object.keys({ ...fields, requestBody }).sort())
    expect(requestBodyBytesOf(record)).toBe(bytes)
  })

  it('take changes in a copy without decoding the body, and leave the original as it was', () => {
    const { requestBody, ...fields } = fullRecord()
    const bytes = Buffer.from(requestBody)
    const decode = vi.spyOn(bytes, 'toString')
    const record = withRequestBody(fields, new RequestBody(bytes))
    const changed = recordWith(record, { costUsd: '1.5', status: 'FAILED' })
    expect(fieldsAroundBody(changed)).toEqual({ ...fields, costUsd: '1.5', status: 'FAILED' })
    expect(decode).not.toHaveBeenCalled()
    expect(fieldsAroundBody(record)).toEqual(fields)
    expect(requestBodyBytesOf(changed)).toBe(bytes)
    expect(changed.requestBody).toBe(requestBody)
  })

  it('leave the body out of fieldsAroundBody, while a spread and JSON still read it', () => {
    const { requestBody, ...fields } = fullRecord()
    const record = withRequestBody(fields, new RequestBody(Buffer.from(requestBody)))
    expect('requestBody' in fieldsAroundBody(record)).toBe(false)
    expect({ ...record }.requestBody).toBe(requestBody)
    expect(JSON.parse(JSON.stringify(record)).requestBody).toBe(requestBody)
  })

  it('copy a record built with a plain string body as a plain record', () => {
    const record = fullRecord()
    const changed = recordWith(record, { costUsd: null })
    expect(changed).toEqual({ ...record, costUsd: null })
    expect(requestBodyBytesOf(changed)).toBeNull()
  })
})
