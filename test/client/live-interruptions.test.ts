import { flushPromises } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { ref } from 'vue'
import { dashboardSessionKey, type DashboardSession } from '../../client/src/graphql/dashboard-session'
import { createFakeGraphQLServer, recordedRequest } from '../support/fake-graphql-server'
import { mountDashboardPage } from './mount-dashboard-page'

/** The page with a live socket the test opens and drops. */
async function mountWithSocket(server: ReturnType<typeof createFakeGraphQLServer>) {
  const isOpen = ref(true)
  const drops = ref(0)
  const session: DashboardSession = { client: server.provide.$urql, needsToken: ref(false), setToken: () => {}, liveSocket: { isOpen, drops } }
  const wrapper = await mountDashboardPage('/requests', { ...server.provide, [dashboardSessionKey]: session })
  await flushPromises()
  return { wrapper, isOpen, drops }
}

const pageQueries = (server: ReturnType<typeof createFakeGraphQLServer>) => server.operations.filter((operation) => operation.kind === 'query').length
const listedIds = (wrapper: Awaited<ReturnType<typeof mountWithSocket>>['wrapper']) => wrapper.findAll('tr.request-row').map((row) => row.attributes('data-request-id'))

describe('live interruptions', () => {
  it('says so while the socket is down, then catches the list up and counts the request events it missed', async () => {
    const [older, newer] = [recordedRequest(), recordedRequest({ status: 'IN_FLIGHT' })]
    const server = createFakeGraphQLServer({ rows: [newer, older] })
    const { wrapper, isOpen, drops } = await mountWithSocket(server)
    expect(wrapper.find('.live-interruption').exists()).toBe(false)

    drops.value++
    isOpen.value = false
    await flushPromises()
    expect(wrapper.get('.live-interruption').text()).toContain('Live updates are interrupted; reconnecting…')

    // Meanwhile: `newer` completed (1 event), one request started and ended (2), one started (1).
    const [ended, started] = [recordedRequest(), recordedRequest({ status: 'IN_FLIGHT' })]
    server.rows.splice(0, 1, { ...newer, status: 'COMPLETED' })
    server.rows.unshift(started, ended)
    isOpen.value = true
    await flushPromises()
    expect(wrapper.get('.live-interruption').text()).toBe('Live updates were interrupted; 4 events may be missing — Reload')
    expect(listedIds(wrapper)).toEqual([started.id, ended.id, newer.id, older.id])
    expect(wrapper.get(`tr[data-request-id="${newer.id}"]`).text()).toContain('Completed')

    const before = pageQueries(server)
    await wrapper.get('.live-interruption button').trigger('click')
    await flushPromises()
    expect(wrapper.find('.live-interruption').exists()).toBe(false)
    expect(pageQueries(server)).toBe(before + 1)
    wrapper.unmount()
  })

  it("shows the banner when the server reports its link to the other instances broke, and counts once it is back", async () => {
    const server = createFakeGraphQLServer({ rows: [recordedRequest()] })
    const { wrapper } = await mountWithSocket(server)
    server.emitLiveStatus({ transport: 'redis', connected: true, interruptions: 2 })
    await flushPromises()
    expect(wrapper.find('.live-interruption').exists()).toBe(false)

    server.emitLiveStatus({ transport: 'redis', connected: false, interruptions: 3 })
    await flushPromises()
    expect(wrapper.get('.live-interruption').text()).toContain('reconnecting…')

    server.rows.unshift(recordedRequest())
    server.emitLiveStatus({ transport: 'redis', connected: true, interruptions: 3 })
    await flushPromises()
    expect(wrapper.get('.live-interruption').text()).toBe('Live updates were interrupted; 2 events may be missing — Reload')
    wrapper.unmount()
  })

  it('shows no banner for a socket that closes on purpose, without a drop', async () => {
    const server = createFakeGraphQLServer({ rows: [recordedRequest()] })
    const { wrapper, isOpen } = await mountWithSocket(server)
    isOpen.value = false
    await flushPromises()
    isOpen.value = true
    await flushPromises()
    expect(wrapper.find('.live-interruption').exists()).toBe(false)
    wrapper.unmount()
  })
})
