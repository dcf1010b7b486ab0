import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { createFakeGraphQLServer, recordedRequest, summaryOf } from '../support/fake-graphql-server'
import { mountDashboardPage } from './mount-dashboard-page'

function mountPage(server: ReturnType<typeof createFakeGraphQLServer>, path = '/requests') {
  return mountDashboardPage(path, server.provide)
}

const rowTexts = (wrapper: Awaited<ReturnType<typeof mountPage>>) => wrapper.findAll('tbody tr').map((row) => row.text())

describe('requests page', () => {
  it('renders one row per recorded request, newest first, with model, status, HTTP status, tokens and path', async () => {
    const older = recordedRequest({ model: 'claude-haiku-4-5', stream: false })
    const newer = recordedRequest({ status: 'FAILED', httpStatus: 529, usage: null })
    const wrapper = await mountPage(createFakeGraphQLServer({ rows: [newer, older] }))
    await flushPromises()

    const rows = rowTexts(wrapper)
    expect(rows).toHaveLength(2)
    expect(rows[0]).toContain('claude-sonnet-4-5')
    expect(rows[0]).toContain('Failed')
    expect(rows[0]).toContain('529')
    expect(rows[0]).toContain('stream')
    expect(rows[1]).toContain('claude-haiku-4-5')
    expect(rows[1]).toContain('Completed')
    expect(rows[1]).toMatch(/1,200 \/ 345 \/ 9,000/)
    expect(rows[1]).toContain('POST /v1/messages')
    expect(rows[1]).not.toContain('stream')
    expect(wrapper.text()).toContain('2 requests')
    wrapper.unmount()
  })

  it('shows the one line to paste when nothing has been recorded yet', async () => {
    const wrapper = await mountPage(createFakeGraphQLServer())
    await flushPromises()
    expect(wrapper.text()).toContain(`ANTHROPIC_BASE_URL=${window.location.origin} claude`)
    expect(wrapper.find('table').exists()).toBe(false)
    wrapper.unmount()
  })

  it('prepends a row for a live IN_FLIGHT event and updates that same row when its COMPLETED event arrives', async () => {
    const server = createFakeGraphQLServer({ rows: [recordedRequest()] })
    const wrapper = await mountPage(server)
    await flushPromises()

    const started = summaryOf(recordedRequest({ model: 'claude-opus-4-5', status: 'IN_FLIGHT', httpStatus: null, completedAt: null, durationMs: null, usage: null }))
    server.emit('IN_FLIGHT', started)
    await flushPromises()
    expect(rowTexts(wrapper)).toHaveLength(2)
    expect(rowTexts(wrapper)[0]).toContain('claude-opus-4-5')
    expect(rowTexts(wrapper)[0]).toContain('In flight')
    expect(wrapper.text()).toContain('2 requests')

    server.emit('COMPLETED', { ...started, status: 'COMPLETED', httpStatus: 200, durationMs: 2500, usage: { ...started.usage!, inputTokens: 10, outputTokens: 20, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, thinkingTokens: null } })
    await flushPromises()
    const rows = rowTexts(wrapper)
    expect(rows).toHaveLength(2)
    expect(rows[0]).toContain('claude-opus-4-5')
    expect(rows[0]).toContain('Completed')
    expect(rows[0]).toContain('2.5 s')
    expect(rows[0]).toMatch(/10 \/ 20 \/ 0/)
    wrapper.unmount()
  })

  it('keeps a finished row finished when a late IN_FLIGHT event for it arrives', async () => {
    const done = recordedRequest()
    const server = createFakeGraphQLServer({ rows: [done] })
    const wrapper = await mountPage(server)
    await flushPromises()

    server.emit('IN_FLIGHT', { ...summaryOf(done), status: 'IN_FLIGHT' })
    await flushPromises()
    expect(rowTexts(wrapper)).toEqual([expect.stringContaining('Completed')])
    wrapper.unmount()
  })

  it('loads the next page after the last cursor when Load more is pressed, then says nothing more is left', async () => {
    const rows = Array.from({ length: 5 }, () => recordedRequest()).reverse()
    const server = createFakeGraphQLServer({ rows, pageSize: 2 })
    const wrapper = await mountPage(server)
    await flushPromises()
    expect(rowTexts(wrapper)).toHaveLength(2)

    await wrapper.get('.more button').trigger('click')
    await flushPromises()
    expect(rowTexts(wrapper)).toHaveLength(4)
    const pageQueries = server.operations.filter((operation) => operation.kind === 'query')
    expect(pageQueries.at(-1)?.variables).toMatchObject({ after: rows[1]!.id })

    await wrapper.get('.more button').trigger('click')
    await flushPromises()
    expect(wrapper.findAll('tbody tr').map((row) => row.attributes('data-request-id'))).toEqual(rows.map((row) => row.id))
    expect(wrapper.find('.more').exists()).toBe(false)
    wrapper.unmount()
  })

  it('leaves a live row older than the loaded pages for Load more to bring in order', async () => {
    const oldest = recordedRequest()
    const rows = [recordedRequest(), recordedRequest(), recordedRequest()].reverse()
    const server = createFakeGraphQLServer({ rows: [...rows, oldest], pageSize: 2 })
    const wrapper = await mountPage(server)
    await flushPromises()

    server.emit('COMPLETED', summaryOf(oldest))
    await flushPromises()
    expect(rowTexts(wrapper)).toHaveLength(2)
    wrapper.unmount()
  })

  it('queries a time range, read in the viewer\'s clock, and one conversation, and clears them again', async () => {
    const server = createFakeGraphQLServer({ rows: [recordedRequest()] })
    const wrapper = await mountPage(server)
    await flushPromises()

    await wrapper.get('input[name="from"]').setValue('2026-01-15T09:00')
    await wrapper.get('input[name="to"]').setValue('2026-01-15T10:30')
    await wrapper.get('input[name="conversation"]').setValue('0190a000-0000-7000-8000-00000000c0de')
    await wrapper.get('input[name="conversation"]').trigger('change')
    await flushPromises()
    const lastQuery = () => server.operations.filter((operation) => operation.kind === 'query').at(-1)
    expect(lastQuery()?.variables).toMatchObject({
      filter: { from: new Date('2026-01-15T09:00').toISOString(), to: new Date('2026-01-15T10:30').toISOString(), conversationId: '0190a000-0000-7000-8000-00000000c0de' },
    })

    await wrapper.get('form[role="search"] button[type="button"]').trigger('click')
    await flushPromises()
    expect(lastQuery()?.variables).toMatchObject({ filter: {} })
    expect((wrapper.get('input[name="from"]').element as HTMLInputElement).value).toBe('')
    wrapper.unmount()
  })

  it('queries again with the chosen status, and subscribes without it so listed rows still get their final status', async () => {
    const server = createFakeGraphQLServer({ rows: [recordedRequest()] })
    const wrapper = await mountPage(server)
    await flushPromises()

    await wrapper.get('select[name="status"]').setValue('COMPLETED')
    await flushPromises()
    const lastQuery = server.operations.filter((operation) => operation.kind === 'query').at(-1)
    const lastSubscription = server.operations.filter((operation) => operation.kind === 'subscription').at(-1)
    expect(lastQuery?.variables).toMatchObject({ filter: { statuses: ['COMPLETED'] }, after: null })
    expect(lastSubscription?.variables).toEqual({ filter: {} })

    const started = summaryOf(recordedRequest({ status: 'IN_FLIGHT' }))
    server.emit('IN_FLIGHT', started)
    await flushPromises()
    expect(rowTexts(wrapper)).toHaveLength(1)
    server.emit('COMPLETED', { ...started, status: 'COMPLETED' })
    await flushPromises()
    expect(rowTexts(wrapper)).toHaveLength(2)
    wrapper.unmount()
  })

  it('narrows the list by model once typing pauses, and says so when nothing matches', async () => {
    vi.useFakeTimers()
    try {
      const server = createFakeGraphQLServer({ rows: [recordedRequest()] })
      const wrapper = await mountPage(server)
      await flushPromises()
      server.rows.length = 0

      await wrapper.get('input[name="model"]').setValue('claude-nothing')
      vi.runAllTimers()
      await flushPromises()
      expect(server.operations.filter((operation) => operation.kind === 'query').at(-1)?.variables).toMatchObject({ filter: { models: ['claude-nothing'] } })
      expect(wrapper.text()).toContain('No requests match these filters.')
      wrapper.unmount()
    } finally {
      vi.useRealTimers()
    }
  })

  it('opens the detail panel for a row and closes it again', async () => {
    const request = recordedRequest()
    const wrapper = await mountPage(createFakeGraphQLServer({ rows: [request] }))
    await flushPromises()

    await wrapper.get('tbody tr button').trigger('click')
    await flushPromises()
    const panel = wrapper.get('aside')
    expect(panel.text()).toContain('Hi there')
    expect(panel.text()).toContain('req_011CTest')
    expect(wrapper.get('tbody tr button').attributes('aria-current')).toBe('true')

    expect(wrapper.router.currentRoute.value.fullPath).toBe(`/requests/${request.id}`)

    await wrapper.get('aside header button').trigger('click')
    await flushPromises()
    expect(wrapper.find('aside').exists()).toBe(false)
    expect(wrapper.router.currentRoute.value.fullPath).toBe('/requests')
    wrapper.unmount()
  })

  it('opens the request a deep link names, with its detail, straight from the address', async () => {
    const request = recordedRequest()
    const wrapper = await mountPage(createFakeGraphQLServer({ rows: [recordedRequest(), request] }), `/requests/${request.id}`)
    await flushPromises()

    expect(wrapper.get('aside').text()).toContain('req_011CTest')
    expect(wrapper.get('tbody tr:nth-child(2) button').attributes('aria-current')).toBe('true')
    wrapper.unmount()
  })

  it('closes the open detail with Escape, and leaves an Escape typed into a filter alone', async () => {
    const request = recordedRequest()
    const wrapper = await mountPage(createFakeGraphQLServer({ rows: [request] }), `/requests/${request.id}`)
    await flushPromises()

    wrapper.get('input[name="search"]').element.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }))
    await flushPromises()
    expect(wrapper.router.currentRoute.value.fullPath).toBe(`/requests/${request.id}`)

    document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }))
    await flushPromises()
    expect(wrapper.find('aside').exists()).toBe(false)
    expect(wrapper.router.currentRoute.value.fullPath).toBe('/requests')
    wrapper.unmount()
  })

  it('opens each request as it starts while Follow newest is on, and no longer once it is off', async () => {
    const server = createFakeGraphQLServer({ rows: [recordedRequest()] })
    const wrapper = await mountPage(server)
    await flushPromises()
    await wrapper.get('input[name="follow-newest"]').setValue(true)

    const first = recordedRequest({ status: 'IN_FLIGHT', responseBodyText: null })
    server.rows.unshift(first)
    server.emit('IN_FLIGHT', summaryOf(first))
    await flushPromises()
    expect(wrapper.router.currentRoute.value.fullPath).toBe(`/requests/${first.id}`)
    expect(wrapper.find('aside .live-response').exists()).toBe(true)

    await wrapper.get('input[name="follow-newest"]').setValue(false)
    server.emit('IN_FLIGHT', summaryOf(recordedRequest({ status: 'IN_FLIGHT' })))
    await flushPromises()
    expect(wrapper.router.currentRoute.value.fullPath).toBe(`/requests/${first.id}`)
    wrapper.unmount()
  })
})
