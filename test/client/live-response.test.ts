import { flushPromises, mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import RequestDetail from '../../client/src/components/requests/RequestDetail.vue'
import { createFakeGraphQLServer, recordedRequest } from '../support/fake-graphql-server'

describe('live response', () => {
  it('shows an in-flight stream token by token with its timeline, then turns into the stored detail once it ends', async () => {
    const request = recordedRequest({ status: 'IN_FLIGHT', stream: true, responseBodyText: null, completedAt: null, durationMs: null })
    const server = createFakeGraphQLServer({ rows: [request] })
    const wrapper = mount(RequestDetail, { props: { id: request.id, status: 'IN_FLIGHT' }, global: { provide: server.provide }, attachTo: document.body })
    await flushPromises()
    expect(wrapper.get('.live-response').text()).toContain('Waiting for the first token…')

    let seq = 0
    const send = async (event: string, data: object) => {
      server.emitChunk(request.id, { seq: seq++, event, data: JSON.stringify(data), offsetMs: 100 + seq * 20 })
      await flushPromises()
    }
    await send('message_start', { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], usage: { input_tokens: 3, output_tokens: 1 } } })
    await send('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } })
    await send('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Pondering the' } })
    const thinking = wrapper.get('.block-thinking')
    expect(thinking.attributes('open')).toBeDefined()
    expect(thinking.text()).toContain('Pondering the')
    await send('content_block_stop', { type: 'content_block_stop', index: 0 })
    await send('content_block_start', { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } })
    await send('content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Hel' } })
    expect(wrapper.get('.live-response .block-text').text()).toBe('Hel')
    await send('content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'lo, world' } })
    expect(wrapper.get('.live-response .block-text').text()).toBe('Hello, world')
    await send('content_block_stop', { type: 'content_block_stop', index: 1 })
    await send('content_block_start', { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: {} } })
    await send('content_block_delta', { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"command": "ls -' } })
    expect(wrapper.get('.block-tool-use').text()).toContain('{"command": "ls -')
    await send('content_block_delta', { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: 'la"}' } })
    await send('content_block_stop', { type: 'content_block_stop', index: 2 })
    expect(wrapper.get('.block-tool-use').text()).toContain('ls -la')
    expect(wrapper.get('.live-response').find('svg[aria-label="Timeline of the response"]').exists()).toBe(true)
    expect(wrapper.get('.live-response').text()).toMatch(/Thinking\s*\d+ ms/)

    server.rows[0] = {
      ...request,
      status: 'COMPLETED',
      responseBodyText: JSON.stringify({ type: 'message', content: [{ type: 'text', text: 'Hello, world' }, { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'ls -la' } }] }),
    }
    server.endStream(request.id)
    await flushPromises()
    expect(wrapper.find('.live-response').exists()).toBe(false)
    expect(wrapper.get('h2').text()).toContain('Completed')
    expect(wrapper.get('section[aria-labelledby="detail-response"] .block-text').text()).toBe('Hello, world')
    wrapper.unmount()
  })

  it('does not subscribe to chunks for a request that is already finished', async () => {
    const request = recordedRequest()
    const server = createFakeGraphQLServer({ rows: [request] })
    const wrapper = mount(RequestDetail, { props: { id: request.id, status: 'COMPLETED' }, global: { provide: server.provide } })
    await flushPromises()
    expect(wrapper.find('.live-response').exists()).toBe(false)
    expect(server.operations.filter((operation) => operation.kind === 'subscription')).toEqual([])
    wrapper.unmount()
  })

  it('watches a stream the list says started before its record is stored, and shows the record once the stream ended', async () => {
    const request = recordedRequest()
    const server = createFakeGraphQLServer({ rows: [] })
    const wrapper = mount(RequestDetail, { props: { id: request.id, status: 'IN_FLIGHT', stream: true }, global: { provide: server.provide } })
    await flushPromises()
    server.emitChunk(request.id, { seq: 0, event: 'message_start', data: JSON.stringify({ type: 'message_start', message: { id: 'msg_1', content: [] } }), offsetMs: 5 })
    server.emitChunk(request.id, { seq: 1, event: 'content_block_start', data: JSON.stringify({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: 'Early' } }), offsetMs: 9 })
    await flushPromises()
    expect(wrapper.get('.live-response .block-text').text()).toBe('Early')

    server.rows.push(request)
    server.endStream(request.id)
    await flushPromises()
    expect(wrapper.find('.live-response').exists()).toBe(false)
    expect(wrapper.get('h2').text()).toContain('Completed')
    wrapper.unmount()
  })
})
