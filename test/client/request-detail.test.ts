import { flushPromises, mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import RequestDetail from '../../client/src/components/requests/RequestDetail.vue'
import { createFakeGraphQLServer, recordedRequest, summaryOf } from '../support/fake-graphql-server'
import { waitFor } from '../support/wait'
import { mountDashboardPage } from './mount-dashboard-page'

const HOSTILE = '<img src=x onerror=alert(1)>'

describe('request detail', () => {
  it('shows hostile recorded content as text everywhere, never as markup', async () => {
    const request = recordedRequest({
      model: HOSTILE,
      error: HOSTILE,
      requestHeaders: { 'x-evil': HOSTILE },
      requestBodyText: JSON.stringify({
        system: [{ type: 'text', text: HOSTILE }],
        messages: [
          { role: 'user', content: HOSTILE },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: HOSTILE } }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', is_error: true, content: [{ type: 'text', text: HOSTILE }] }] },
        ],
      }),
      responseBodyText: JSON.stringify({ type: 'message', content: [{ type: 'text', text: HOSTILE }, { type: 'thinking', thinking: HOSTILE }] }),
    })
    const server = createFakeGraphQLServer({ rows: [request] })
    const wrapper = await mountDashboardPage('/requests', server.provide)
    await flushPromises()
    await wrapper.get('tbody tr button').trigger('click')
    await flushPromises()

    expect(document.querySelector('img')).toBeNull()
    const panel = wrapper.get('aside')
    // Model (heading and overview), error, header, system, user text, tool input, tool result, response text, thinking.
    expect(panel.text().split(HOSTILE).length - 1).toBeGreaterThanOrEqual(9)
    expect(wrapper.get('tbody tr').text()).toContain(HOSTILE)
    // The failed result shows under its call, highlighted, and its place in the user message points back to the call.
    expect(panel.get('.block-tool-use .block-tool-result.is-error').text()).toContain(HOSTILE)
    expect(panel.get('.block-tool-result.is-pointer').text()).toContain('for Bash toolu_1')
    wrapper.unmount()
  })

  it('shows a body that is not a Messages request as plain text', async () => {
    const request = recordedRequest({ path: '/v1/models', method: 'GET', requestBodyText: null, responseBodyText: 'not json at all <b>bold</b>' })
    const server = createFakeGraphQLServer({ rows: [request] })
    const wrapper = mount(RequestDetail, { props: { id: request.id, status: request.status }, global: { provide: server.provide } })
    await flushPromises()

    expect(wrapper.text()).toContain('No body.')
    expect(wrapper.get('pre').text()).toBe('not json at all <b>bold</b>')
    expect(wrapper.find('b').exists()).toBe(false)
  })

  it('fetches the request again when the list reports that its status changed', async () => {
    const request = recordedRequest({ status: 'IN_FLIGHT', stream: false, responseBodyText: null })
    const server = createFakeGraphQLServer({ rows: [request] })
    const wrapper = mount(RequestDetail, { props: { id: request.id, status: 'IN_FLIGHT' }, global: { provide: server.provide } })
    await flushPromises()
    expect(wrapper.text()).toContain('Still arriving…')

    server.rows[0] = { ...request, status: 'COMPLETED', responseBodyText: JSON.stringify({ type: 'message', content: [{ type: 'text', text: 'Hi there' }] }) }
    await wrapper.setProps({ status: 'COMPLETED' })
    await flushPromises()
    expect(wrapper.text()).toContain('Hi there')
    expect(wrapper.get('h2').text()).toContain('Completed')
  })

  it('keeps asking for a request the list shows finished until the store has written it, showing it as loading meanwhile', async () => {
    // The live list hears of an exchange before the capture writer has stored it (it waits for others to share the write).
    const request = recordedRequest({ responseBodyText: JSON.stringify({ type: 'message', content: [{ type: 'text', text: 'Stored at last' }] }) })
    const server = createFakeGraphQLServer()
    const wrapper = mount(RequestDetail, { props: { id: request.id, status: 'COMPLETED' }, global: { provide: server.provide } })
    await flushPromises()
    expect(wrapper.text()).toContain('Loading…')
    expect(wrapper.text()).not.toContain('No request with id')

    server.rows.push(request)
    await waitFor(async () => {
      await flushPromises()
      return wrapper.text().includes('Stored at last')
    }, 'the detail to show the stored request')
    expect(wrapper.get('h2').text()).toContain('Completed')
  })

  it('says so when the request does not exist', async () => {
    const server = createFakeGraphQLServer()
    const missing = summaryOf(recordedRequest())
    const wrapper = mount(RequestDetail, { props: { id: missing.id, status: null }, global: { provide: server.provide } })
    await flushPromises()
    expect(wrapper.text()).toContain(`No request with id ${missing.id}.`)
  })

  it('shows the cost, the 5-minute and 1-hour cache writes, why the cache missed and the rate limits the response reported', async () => {
    const request = recordedRequest({
      usage: { inputTokens: 10, outputTokens: 20, cacheCreationInputTokens: 3000, cacheCreation5mInputTokens: 1000, cacheCreation1hInputTokens: 2000, cacheReadInputTokens: 0, thinkingTokens: null },
      costUsd: 0.0456,
      cacheMiss: { reason: 'TTL_EXPIRED', causes: ['TTL_EXPIRED', 'TOOLS_CHANGED'], idleSeconds: 420, ttlSeconds: 300, missedTokens: 2500, missCostUsd: 0.0075 },
      rateLimit: {
        observedAt: '2026-01-15T09:00:00.000Z',
        unifiedStatus: 'allowed',
        unified5hUtilization: 0,
        unified5hReset: '2026-01-15T12:00:00.000Z',
        unified7dUtilization: 0.42,
        unified7dReset: '2026-01-20T00:00:00.000Z',
        unifiedRepresentativeClaim: 'five_hour',
        requestsRemaining: null,
        requestsLimit: null,
        tokensRemaining: null,
        tokensLimit: null,
        retryAfterSeconds: null,
      },
    })
    const wrapper = mount(RequestDetail, { props: { id: request.id, status: request.status }, global: { provide: server(request) } })
    await flushPromises()

    const text = wrapper.text()
    expect(text).toContain('$0.0456')
    expect(text).toContain('3,000 (5 min 1,000, 1 h 2,000)')
    expect(text).toContain('cache expired, tools changed; idle 7 min 0 s against a 5-minute cache: 2,500 tokens written again, $0.0075')
    // A utilization of 0 is a reading, not an absence.
    expect(text).toContain('0% used')
    expect(text).toContain('42% used')
    expect(text).toContain('five_hour')
    expect(text).not.toContain('Tokens left')
  })

  it('never shows an unknown price as $0', async () => {
    const request = recordedRequest({ costUsd: null, costStatus: 'UNKNOWN_MODEL' })
    const wrapper = mount(RequestDetail, { props: { id: request.id, status: request.status }, global: { provide: server(request) } })
    await flushPromises()
    expect(wrapper.text()).toContain('— (no price for this model)')
    expect(wrapper.text()).not.toContain('$0.00')
  })
})

function server(request: ReturnType<typeof recordedRequest>) {
  return createFakeGraphQLServer({ rows: [request] }).provide
}
