import { flushPromises } from '@vue/test-utils'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import type { RateLimitStatus, UsageReport, UsageReportVariables } from '../../client/src/graphql/usage-documents'
import { quotaWindow, rateLimitStatus, usageBucket, usageReport } from '../support/dashboard-page-fixtures'
import { createFakeGraphQLServer, type FakeAnswers } from '../support/fake-graphql-server'
import { mountDashboardPage } from './mount-dashboard-page'

const prices = [{ model: 'claude-sonnet-4-5', effectiveFrom: '2025-01-01T00:00:00.000Z', minInputTokens: 0, cacheWrite5mUsdPerMTok: '3.75', cacheWrite1hUsdPerMTok: '6' }]

function serverWith(report: UsageReport | ((variables: UsageReportVariables) => UsageReport), statuses: RateLimitStatus[] = [], answers: FakeAnswers = {}) {
  return createFakeGraphQLServer({
    answers: {
      UsageReport: (variables) => ({ usage: typeof report === 'function' ? report(variables as UsageReportVariables) : report }),
      CacheWritePrices: () => ({ prices }),
      RateLimitStatus: () => ({ rateLimitStatus: statuses }),
      ...answers,
    },
  })
}

const twoDays = () =>
  usageReport([
    usageBucket('2026-01-14T00:00:00', 'claude-sonnet-4-5', { totalInputTokens: 1000, inputTokens: 100, cacheReadInputTokens: 800, cacheCreationInputTokens: 100, cacheCreation5mInputTokens: 100, outputTokens: 200, costUsd: 0.5 }),
    usageBucket('2026-01-15T00:00:00', 'claude-sonnet-4-5', { totalInputTokens: 300, outputTokens: 30, costUsd: 0.25 }),
    usageBucket('2026-01-15T00:00:00', 'claude-haiku-4-5', { totalInputTokens: 50, outputTokens: 5, costUsd: 0.01 }),
  ])

// The page (and the chart library with it) loads on demand; load it once before the timed tests.
beforeAll(() => import('../../client/src/pages/UsagePage.vue'), 60_000)

afterEach(() => {
  vi.useRealTimers()
})

describe('usage page', () => {
  it('asks for usage by day and model in the viewer’s time zone, then by hour when the range is 24 hours', async () => {
    const server = serverWith(twoDays())
    const wrapper = await mountDashboardPage('/usage', server.provide)
    await flushPromises()

    const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone
    const usageQueries = () => server.operations.filter((operation) => operation.kind === 'query' && 'range' in operation.variables)
    expect(usageQueries().at(-1)?.variables).toMatchObject({ groupBy: ['DAY', 'MODEL'], timezone })
    const week = (usageQueries().at(-1)!.variables as UsageReportVariables).range
    expect(Date.parse(week.to) - Date.parse(week.from)).toBeGreaterThanOrEqual(7 * 23 * 3_600_000)

    await wrapper.get('button[data-range="24h"]').trigger('click')
    await flushPromises()
    expect(wrapper.get('button[data-range="24h"]').attributes('aria-pressed')).toBe('true')
    const day = usageQueries().at(-1)!.variables as UsageReportVariables
    expect(day.groupBy).toEqual(['HOUR', 'MODEL'])
    expect(Date.parse(day.range.to) - Date.parse(day.range.from)).toBe(24 * 3_600_000)
    expect(wrapper.text()).toContain(`Times in ${timezone}`)
    wrapper.unmount()
  })

  it('shows the range’s totals and draws tokens and cost by day and model, and cache efficiency', async () => {
    const wrapper = await mountDashboardPage('/usage', serverWith(twoDays()).provide)
    await flushPromises()

    expect(wrapper.get('[data-total="requests"]').text()).toBe('3')
    expect(wrapper.get('[data-total="tokens"]').text()).toBe('1,585')
    expect(wrapper.get('[data-total="cost"]').text()).toBe('$0.76')
    expect(wrapper.findAll('[data-chart]').map((chart) => chart.attributes('data-chart'))).toEqual(['tokens', 'cost', 'cache'])
    // 100 five-minute cache-write tokens at $3.75 per million.
    expect(wrapper.text()).toContain('≈ $0.0004')
    wrapper.unmount()
  })

  it('shows how to send Claude Code through Claudescope when the range has no traffic', async () => {
    const wrapper = await mountDashboardPage('/usage', serverWith(usageReport([])).provide)
    await flushPromises()
    expect(wrapper.text()).toContain('No traffic in this range')
    expect(wrapper.text()).toContain(`ANTHROPIC_BASE_URL=${window.location.origin} claude`)
    expect(wrapper.find('[data-chart]').exists()).toBe(false)
    wrapper.unmount()
  })

  it('explains why there is no gauge when no response carried rate-limit headers', async () => {
    const wrapper = await mountDashboardPage('/usage', serverWith(usageReport([])).provide)
    await flushPromises()
    const panel = wrapper.get('.rate-limit-panel')
    expect(panel.text()).toContain('No rate-limit headers seen yet')
    expect(panel.text()).toContain('API key')
    expect(panel.find('[role="meter"]').exists()).toBe(false)
    wrapper.unmount()
  })

  it('shows the 5-hour and 7-day utilization as meters, the models that used the window, and the projected time to the limit', async () => {
    const fiveHour = quotaWindow('5h', {
      attribution: {
        ...quotaWindow('5h').attribution!,
        projection: { ratePerHour: 0.2, secondsToLimit: 2 * 3600 + 54 * 60, projectedLimitAt: '2026-01-15T12:54:00.000Z', reachesLimitBeforeReset: true },
      },
    })
    const wrapper = await mountDashboardPage('/usage', serverWith(usageReport([]), [rateLimitStatus({ fiveHour })]).provide)
    await flushPromises()

    const meters = wrapper.findAll('[role="meter"]')
    expect(meters.map((meter) => [meter.attributes('aria-label'), meter.attributes('aria-valuenow')])).toEqual([
      ['5-hour window used', '42'],
      ['7-day window used', '13'],
    ])
    const window5h = wrapper.get('[data-window="5h"]')
    expect(window5h.findAll('.shares li').map((share) => share.text())).toContain('claude-opus-4-530% of the window · 1 request')
    expect(window5h.text()).toContain('2% of the window (not through this proxy)')
    expect(window5h.get('a[href="/conversations/conv-quota-0001"]').text()).toBe('conversation …ota-0001')
    expect(window5h.text()).toContain('limit is reached in about 2 h 54 min')
    expect(window5h.text()).toContain('before the window resets')
    expect(wrapper.get('[data-window="7d"]').text()).toContain('cannot be attributed')
    wrapper.unmount()
  })

  it('counts down to the window reset every second, and says when it has passed', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] })
    vi.setSystemTime(new Date('2026-01-15T11:00:00.000Z'))
    const wrapper = await mountDashboardPage('/usage', serverWith(usageReport([]), [rateLimitStatus()]).provide)
    await flushPromises()
    const countdown = () => wrapper.get('[data-window="5h"] .reset-countdown').text()
    expect(countdown()).toBe('resets in 1 h 00 min')

    await vi.advanceTimersByTimeAsync(1000)
    expect(countdown()).toBe('resets in 59 min 59 s')
    await vi.advanceTimersByTimeAsync((59 * 60 + 55) * 1000)
    expect(countdown()).toBe('resets in 4 s')
    await vi.advanceTimersByTimeAsync(4000)
    expect(countdown()).toMatch(/^reset at /)
    wrapper.unmount()
  })

  it('replaces an organization’s gauges live when new rate-limit headers arrive', async () => {
    const server = serverWith(usageReport([]), [rateLimitStatus()])
    const wrapper = await mountDashboardPage('/usage', server.provide)
    await flushPromises()

    server.publish('RateLimitUpdated', { rateLimitUpdated: rateLimitStatus({ observedAt: '2026-01-15T10:05:00.000Z', fiveHour: quotaWindow('5h', { utilization: 0.91, status: 'allowed_warning' }) }) })
    await flushPromises()
    expect(wrapper.findAll('article.status')).toHaveLength(1)
    expect(wrapper.get('[data-window="5h"] [role="meter"]').attributes('aria-valuenow')).toBe('91')
    expect(wrapper.get('[data-window="5h"]').text()).toContain('allowed warning')
    wrapper.unmount()
  })

  it('shows why usage or rate limits could not load instead of an empty page', async () => {
    const fail = () => {
      throw new Error('database is away')
    }
    const wrapper = await mountDashboardPage('/usage', serverWith(usageReport([]), [], { UsageReport: fail, RateLimitStatus: fail }).provide)
    await flushPromises()
    const alerts = wrapper.findAll('[role="alert"]').map((alert) => alert.text())
    expect(alerts).toEqual([expect.stringContaining('Could not load usage: [Network] database is away'), expect.stringContaining('Could not load rate limits: [Network] database is away')])
    expect(wrapper.text()).not.toContain('No rate-limit headers seen yet')
    wrapper.unmount()
  })
})
