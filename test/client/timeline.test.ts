import { getOperationName } from '@urql/core'
import { flushPromises, mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import RequestDetail from '../../client/src/components/requests/RequestDetail.vue'
import { buildTimeline, type TimedEvent } from '../../client/src/messages/timeline'
import { createFakeGraphQLServer, recordedRequest, type RequestChunk } from '../support/fake-graphql-server'

const start = (index: number, type: string) => JSON.stringify({ type: 'content_block_start', index, content_block: { type } })
const delta = (index: number, text = 'x') => JSON.stringify({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: `${text} "index": 9` } })
const stop = (index: number) => JSON.stringify({ type: 'content_block_stop', index })

/** A stream: first byte at 300 ms, thinking 300–900, text 900–1000, tool input 1000–1600, done at 1700. */
const STREAM: TimedEvent[] = [
  { event: 'message_start', data: '{"type":"message_start"}', offsetMs: 300 },
  { event: 'content_block_start', data: start(0, 'thinking'), offsetMs: 300 },
  { event: 'content_block_delta', data: delta(0), offsetMs: 800 },
  { event: 'content_block_stop', data: stop(0), offsetMs: 900 },
  { event: 'content_block_start', data: start(1, 'text'), offsetMs: 900 },
  { event: 'content_block_stop', data: stop(1), offsetMs: 1000 },
  { event: 'content_block_start', data: start(2, 'tool_use'), offsetMs: 1000 },
  { event: 'content_block_delta', data: delta(2), offsetMs: 1500 },
  { event: 'ping', data: '{"type":"ping"}', offsetMs: 1550 },
  { event: 'content_block_stop', data: stop(2), offsetMs: 1600 },
  { event: 'message_stop', data: '{"type":"message_stop"}', offsetMs: 1700 },
]

describe('request timeline', () => {
  it('splits a stream into waiting, thinking, text and tool input by block', () => {
    const timeline = buildTimeline(STREAM, 300, 1700)
    expect(timeline.phases).toEqual([
      { kind: 'waiting', startMs: 0, endMs: 300 },
      { kind: 'thinking', startMs: 300, endMs: 900 },
      { kind: 'text', startMs: 900, endMs: 1000 },
      { kind: 'tool input', startMs: 1000, endMs: 1600 },
    ])
    expect(timeline.totals).toEqual({ waiting: 300, thinking: 600, text: 100, 'tool input': 600, other: 0 })
    expect(timeline.totalMs).toBe(1700)
  })

  it('keeps the part of a block that arrived before the stream was cut off', () => {
    const timeline = buildTimeline(STREAM.slice(0, 3), 300, null)
    expect(timeline.phases.at(-1)).toEqual({ kind: 'thinking', startMs: 300, endMs: 800 })
    expect(timeline.totalMs).toBe(800)
  })

  it('draws the timeline of a request when it is opened, with TTFB, thinking, tool input and total', async () => {
    const request = recordedRequest({ ttfbMs: 300, durationMs: 1700 })
    const chunks: RequestChunk[] = STREAM.map((event, seq) => ({ seq, ...event }))
    const server = createFakeGraphQLServer({ rows: [request], chunks: new Map([[request.id, chunks]]) })
    const wrapper = mount(RequestDetail, { props: { id: request.id, status: request.status }, global: { provide: server.provide } })
    await flushPromises()
    const details = wrapper.get('.request-timeline')
    const sent = () => server.operations.map((operation) => getOperationName(operation.query))
    expect(sent()).not.toContain('RequestTimeline')

    ;(details.element as HTMLDetailsElement).open = true
    await details.trigger('toggle')
    await flushPromises()
    expect(sent()).toContain('RequestTimeline')
    expect(details.findAll('svg rect')).toHaveLength(5)
    expect(details.findAll('dd').map((dd) => dd.text())).toEqual(['300 ms', '600 ms', '600 ms', '100 ms', '1.7 s'])
  })
})

describe('raw SSE', () => {
  it('shows the stream as text and copies it to the clipboard', async () => {
    const sse = 'event: message_start\ndata: {"type":"message_start","note":"<script>alert(1)</script>"}\n\n'
    const request = recordedRequest({ responseSse: sse })
    const server = createFakeGraphQLServer({ rows: [request] })
    const copied: string[] = []
    Object.defineProperty(navigator, 'clipboard', { value: { writeText: async (text: string) => void copied.push(text) }, configurable: true })
    const wrapper = mount(RequestDetail, { props: { id: request.id, status: request.status }, global: { provide: server.provide } })
    await flushPromises()

    const raw = wrapper.get('.request-raw-sse')
    expect(raw.get('pre').element.textContent).toBe(sse)
    expect(wrapper.find('script').exists()).toBe(false)
    await raw.get('button').trigger('click')
    await flushPromises()
    expect(copied).toEqual([sse])
    expect(raw.text()).toContain('Copied.')
  })

  it('says so when the browser refuses the clipboard', async () => {
    const request = recordedRequest({ responseSse: 'event: ping\ndata: {}\n\n' })
    const server = createFakeGraphQLServer({ rows: [request] })
    Object.defineProperty(navigator, 'clipboard', { value: { writeText: async () => Promise.reject(new Error('denied')) }, configurable: true })
    const wrapper = mount(RequestDetail, { props: { id: request.id, status: request.status }, global: { provide: server.provide } })
    await flushPromises()
    await wrapper.get('.request-raw-sse button').trigger('click')
    await flushPromises()
    expect(wrapper.get('.request-raw-sse [role="alert"]').text()).toContain('Could not copy')
  })
})
