import { describe, expect, it } from 'vitest'
import { ChatToMessagesTranslation } from '../../server/proxy/chat-translation'
import { ProxyError } from '../../server/proxy/proxy-errors'

const translation = (maxHeldBytes = 1024) => new ChatToMessagesTranslation({ provider: 'openai', model: 'gpt-4.1', maxHeldBytes })
const JSON_HEAD = { 'content-type': 'application/json', 'x-request-id': 'req_abc', 'set-cookie': 'cf=1', 'content-length': '10', 'x-ratelimit-remaining-requests': '9' }

describe('ChatToMessagesTranslation', () => {
  it('holds a JSON answer and gives the Message with the provider’s request id as request-id, its cookies and length dropped', () => {
    const t = translation()
    expect(t.begin(200, JSON_HEAD)).toBeNull()
    const completion = JSON.stringify({ id: 'c1', model: 'gpt-4.1', choices: [{ index: 0, message: { content: 'hi' }, finish_reason: 'stop' }] })
    expect(t.push(Buffer.from(completion.slice(0, 20)))).toHaveLength(0)
    t.push(Buffer.from(completion.slice(20)))
    const { head, body } = t.end()
    expect(head!.status).toBe(200)
    expect(head!.headers).toMatchObject({ 'request-id': 'req_abc', 'x-request-id': 'req_abc', 'x-ratelimit-remaining-requests': '9', 'content-type': 'application/json', 'content-length': String(body.length) })
    expect(head!.headers['set-cookie']).toBeUndefined()
    expect(JSON.parse(body.toString())).toMatchObject({ type: 'message', content: [{ type: 'text', text: 'hi' }] })
  })

  it('answers 502 api_error when a 2xx answer is not a chat completion', () => {
    const t = translation()
    t.begin(200, JSON_HEAD)
    t.push(Buffer.from('<html>gateway</html>'))
    const { head, body } = t.end()
    expect(head!.status).toBe(502)
    expect(JSON.parse(body.toString())).toMatchObject({ type: 'error', error: { type: 'api_error' } })
  })

  it('keeps an error’s status and writes it as the Anthropic envelope', () => {
    const t = translation()
    t.begin(401, JSON_HEAD)
    t.push(Buffer.from(JSON.stringify({ error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } })))
    const { head, body } = t.end()
    expect(head!.status).toBe(401)
    expect(JSON.parse(body.toString())).toEqual({ type: 'error', error: { type: 'authentication_error', message: 'openai: Incorrect API key provided' } })
  })

  it('fails with a ProxyError once a held answer outgrows its bound', () => {
    const t = translation(8)
    t.begin(200, JSON_HEAD)
    expect(t.push(Buffer.alloc(9))).toBeInstanceOf(ProxyError)
  })

  it('streams an SSE answer at once as Anthropic events, an event split across reads included', () => {
    const t = translation()
    const head = t.begin(200, { 'content-type': 'text/event-stream; charset=utf-8', 'x-request-id': 'req_s' })
    expect(head).toMatchObject({ status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8', 'request-id': 'req_s' } })
    expect(t.isSse).toBe(true)
    const event = `data: ${JSON.stringify({ id: 'c', model: 'gpt-4.1', choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }] })}\n\n`
    expect(t.push(Buffer.from(event.slice(0, 15)))).toHaveLength(0)
    const out = t.push(Buffer.from(event.slice(15))).toString()
    expect(out).toMatch(/^event: message_start\ndata: .*\n\nevent: ping\n/)
    expect(out).toContain('event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}\n\n')
    const end = t.end()
    expect(end.head).toBeNull()
    expect(end.body.toString()).toMatch(/^event: error\n/)
  })
})
