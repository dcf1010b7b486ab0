import { describe, expect, it } from 'vitest'
import { DemotedResponse, demotedRequestBody, withIdentityEncoding, type DemotedAnswer } from '../../server/proxy/demotion'
import { ProxyError } from '../../server/proxy/proxy-errors'
import { frameSse, MESSAGE_KINDS, messageFixture, streamErrorEvents, type SseFixtureEvent } from '../support/anthropic-fixtures'

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'request-id': 'req_011CabcdefghijklmnopqrST',
  'anthropic-ratelimit-requests-remaining': '3999',
  'transfer-encoding': 'chunked',
  connection: 'keep-alive',
}

/** The proxy's default bound on a held stream (DEMOTED_STREAM_MAX_BYTES); these streams stay far below it. */
const MAX_STREAM_BYTES = 256 * 1024 * 1024

function begin(headers: Record<string, string | undefined> = SSE_HEADERS): DemotedResponse {
  const demoted = DemotedResponse.begin(200, 'OK', headers, MAX_STREAM_BYTES)
  if (!(demoted instanceof DemotedResponse)) throw new Error('expected the stream to be taken over')
  return demoted
}

/** Feeds the stream in pieces of `pieceBytes` (splitting events, lines and UTF-8 characters) and answers. */
function answerOf(events: SseFixtureEvent[] | string, pieceBytes = Infinity): DemotedAnswer | ProxyError {
  const demoted = begin()
  const bytes = Buffer.from(typeof events === 'string' ? events : frameSse(events))
  for (let at = 0; at < bytes.length; at += pieceBytes) demoted.push(bytes.subarray(at, at + pieceBytes))
  return demoted.answer()
}

function answered(answer: DemotedAnswer | ProxyError): DemotedAnswer {
  if (answer instanceof ProxyError) throw answer
  return answer
}

describe('DemotedResponse', () => {
  it.each(MESSAGE_KINDS)('answers a %s stream with the exact JSON of the non-streaming API, whatever the read boundaries', (kind) => {
    const fixture = messageFixture(kind)
    for (const pieceBytes of [Infinity, 1, 7, 64]) {
      const answer = answered(answerOf(fixture.events, pieceBytes))

      expect(answer.status).toBe(200)
      expect(answer.body.toString()).toBe(fixture.json)
    }
  })

  it('keeps upstream end-to-end headers and describes the JSON body instead of the stream, without its cache-control', () => {
    const answer = answered(answerOf(messageFixture('text').events))

    expect(answer.statusMessage).toBe('OK')
    expect(answer.headers).toEqual({
      'content-type': 'application/json',
      'content-length': String(answer.body.length),
      'request-id': 'req_011CabcdefghijklmnopqrST',
      'anthropic-ratelimit-requests-remaining': '3999',
    })
  })

  it('answers an error event with its status and upstream’s envelope as sent', () => {
    const events = streamErrorEvents()
    const answer = answered(answerOf(events))

    expect(answer.status).toBe(529)
    expect(answer.body.toString()).toBe(events[events.length - 1].data)
    expect(answer.headers['content-type']).toBe('application/json')
    expect(answer.headers['request-id']).toBe('req_011CabcdefghijklmnopqrST')
  })

  it('relays a request_id inside the error event as upstream wrote it', () => {
    const data = '{"type":"error","error":{"type":"rate_limit_error","message":"Slow down"},"request_id":"req_011Cxyz"}'
    const answer = answered(answerOf(`${frameSse(messageFixture('text').events.slice(0, 3))}event: error\ndata: ${data}\n\n`))

    expect(answer.status).toBe(429)
    expect(answer.body.toString()).toBe(data)
  })

  it('builds Anthropic’s envelope when the error event carries no JSON envelope', () => {
    const answer = answered(answerOf('event: error\ndata: upstream fell over\n\n'))

    expect(answer.status).toBe(500)
    expect(JSON.parse(answer.body.toString())).toEqual({ type: 'error', error: { type: 'api_error', message: 'upstream fell over' } })
  })

  it('fails like a reset when the stream ends before message_stop', () => {
    const events = messageFixture('tool-use').events
    const answer = answerOf(events.slice(0, events.length - 2))

    expect(answer).toBeInstanceOf(ProxyError)
    expect(answer).toMatchObject({ code: 'UPSTREAM_RESET', status: 502 })
  })

  it('fails like a reset when upstream sent an empty stream', () => {
    expect(answerOf('')).toMatchObject({ code: 'UPSTREAM_RESET' })
  })

  it.each([
    ['an error status', 529, 'application/json'],
    ['a JSON message from an upstream that ignored the flag', 200, 'application/json'],
    ['an informational-looking status', 304, 'text/event-stream'],
  ])('leaves %s to be relayed as it is', (_name, status, contentType) => {
    expect(DemotedResponse.begin(status, undefined, { 'content-type': contentType }, MAX_STREAM_BYTES)).toBeNull()
  })

  it('refuses a stream in a content-encoding it did not ask for', () => {
    const demoted = DemotedResponse.begin(200, 'OK', { ...SSE_HEADERS, 'content-encoding': 'gzip' }, MAX_STREAM_BYTES)

    expect(demoted).toMatchObject({ code: 'UPSTREAM_BAD_RESPONSE', status: 502 })
  })
})

describe('demotedRequestBody', () => {
  const body = Buffer.from('{"model":"m","max_tokens":1}')

  it('demotes a non-streaming POST /v1/messages', () => {
    expect(demotedRequestBody('POST', '/v1/messages', {}, body)?.toString()).toBe('{"stream":true,"model":"m","max_tokens":1}')
    expect(demotedRequestBody('POST', '/v1/messages', { 'content-encoding': 'identity' }, body)).not.toBeNull()
  })

  it.each([
    ['count_tokens', 'POST', '/v1/messages/count_tokens', {}],
    ['batches', 'POST', '/v1/messages/batches', {}],
    ['another method', 'PUT', '/v1/messages', {}],
    ['a compressed body', 'POST', '/v1/messages', { 'content-encoding': 'gzip' }],
  ])('leaves %s alone', (_name, method, path, headers) => {
    expect(demotedRequestBody(method, path, headers, body)).toBeNull()
  })
})

describe('withIdentityEncoding', () => {
  it('replaces every accept-encoding with identity and keeps the rest in order', () => {
    const headers = ['x-api-key', 'k', 'Accept-Encoding', 'gzip, br', 'accept-encoding', 'zstd', 'content-length', '12']

    expect(withIdentityEncoding(headers)).toEqual(['x-api-key', 'k', 'content-length', '12', 'accept-encoding', 'identity'])
  })
})
