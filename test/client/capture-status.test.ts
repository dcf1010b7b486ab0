import { flushPromises, mount } from '@vue/test-utils'
import { getOperationName } from '@urql/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import CaptureStatus from '../../client/src/components/shell/CaptureStatus.vue'
import type { CaptureHealth } from '../../client/src/graphql/documents'
import { createFakeGraphQLServer, healthyCapture } from '../support/fake-graphql-server'

/** Mounts the header's capture status over a fake server answering `health()`; a throw answers as a failed request. */
async function mountStatus(health: () => CaptureHealth) {
  const server = createFakeGraphQLServer({ answers: { CaptureHealth: () => ({ health: health() }) } })
  const wrapper = mount(CaptureStatus, { global: { provide: server.provide }, attachTo: document.body })
  await flushPromises()
  const reads = () => server.operations.filter((operation) => getOperationName(operation.query) === 'CaptureHealth').length
  const summary = () => wrapper.find('[role="status"]').text()
  const level = () => [...wrapper.find('.capture-status').element.classList].find((name) => name.startsWith('level-'))
  return { wrapper, reads, summary, level }
}

/** Lets the status's five-second poll fire once, and its read settle. */
async function nextPoll() {
  vi.advanceTimersByTime(5_000)
  await flushPromises()
}

afterEach(() => {
  vi.useRealTimers()
  Reflect.deleteProperty(document, 'visibilityState')
})

describe('the header\'s capture status', () => {
  it('says capture keeps up, and lists its figures when opened', async () => {
    const { wrapper, summary, level } = await mountStatus(() => healthyCapture({ written: 98_765, queueItems: 3, queueBytes: 6 * 1024 }))
    expect(summary()).toBe('Capturing')
    expect(level()).toBe('level-ok')
    expect(wrapper.find('#capture-figures').exists()).toBe(false)

    await wrapper.find('button').trigger('click')
    expect(wrapper.find('button').attributes('aria-expanded')).toBe('true')
    const figures = Object.fromEntries(wrapper.findAll('#capture-figures dt').map((term) => [term.text(), term.element.nextElementSibling!.textContent]))
    expect(figures).toMatchObject({ 'Records written': '98,765', 'Waiting in memory': '3 (6.00 KiB)', 'Waiting on disk': '0 B', Lost: '0', Database: 'PostgreSQL' })
    await wrapper.find('.capture-status').trigger('keydown', { key: 'Escape' })
    expect(wrapper.find('#capture-figures').exists()).toBe(false)
    wrapper.unmount()
  })

  it('warns while records wait on disk or were quarantined, and alarms when one was lost', async () => {
    let health = healthyCapture({ spoolBytes: 1.5 * 1024 * 1024 })
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const { wrapper, summary, level } = await mountStatus(() => health)
    expect([summary(), level()]).toEqual(['Database behind: 1.50 MiB on disk', 'level-warning'])

    health = healthyCapture({ quarantined: 1 })
    await nextPoll()
    expect([summary(), level()]).toEqual(['1 record quarantined', 'level-warning'])

    health = healthyCapture({ lost: 2, spoolBytes: 1024 })
    await nextPoll()
    expect([summary(), level()]).toEqual(['2 records lost', 'level-problem'])
    wrapper.unmount()
  })

  it('reads again every five seconds, and says the database writes fail while failed batches grow from one read to the next', async () => {
    let failedBatches = 4
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const { wrapper, reads, summary } = await mountStatus(() => healthyCapture({ failedBatches }))
    expect([reads(), summary()]).toEqual([1, 'Capturing'])

    failedBatches = 6
    await nextPoll()
    expect([reads(), summary()]).toEqual([2, 'Database writes failing, retrying'])

    await nextPoll()
    expect([reads(), summary()]).toEqual([3, 'Capturing'])
    wrapper.unmount()
    await nextPoll()
    expect(reads()).toBe(3)
  })

  it('skips its reads while the page is hidden', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const { wrapper, reads } = await mountStatus(() => healthyCapture())
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true })
    await nextPoll()
    expect(reads()).toBe(1)
    Reflect.deleteProperty(document, 'visibilityState')
    await nextPoll()
    expect(reads()).toBe(2)
    wrapper.unmount()
  })

  it('says so when Claudescope does not answer, with the reason among the figures', async () => {
    let up = true
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const { wrapper, summary, level } = await mountStatus(() => {
      if (!up) throw new Error('Failed to fetch')
      return healthyCapture()
    })
    up = false
    await nextPoll()
    expect([summary(), level()]).toEqual(['No answer from Claudescope', 'level-problem'])
    await wrapper.find('button').trigger('click')
    expect(wrapper.find('#capture-figures .read-problem').text()).toContain('Failed to fetch')

    up = true
    await nextPoll()
    expect(summary()).toBe('Capturing')
    wrapper.unmount()
  })
})
