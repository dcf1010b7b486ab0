import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { HealthReport } from '../../server/health/health-report'
import { createMetrics, type SpoolFigures } from '../../server/http/metrics'
import { createMemoryBus } from '../../server/live/memory-bus'
import type { RetentionStats } from '../../server/retention/retention.service'
import { graphql } from '../../client/src/graphql/graphql'
import { queryGraphQL, subscribeGraphQL } from '../support/graphql-client'
import { startApp, type TestApp } from '../support/start-app'
import { waitFor } from '../support/wait'
import { parseRateLimitHeaders } from '../../server/wire/rate-limit-headers'
import { chunkEvent, inFlight, makeRecord, requestEvent } from '../support/record-fixtures'

const IDLE_HEALTH: HealthReport = {
  status: 'healthy',
  draining: false,
  inFlight: 0,
  database: 'postgresql',
  liveSubscribers: 0,
  live: { transport: 'memory', connected: true, unsharedEvents: 0, interruptions: 0, lastInterruptionAt: null },
  capture: { queueItems: 0, queueBytes: 0, spoolBytes: 0, written: 0, lost: 0, failedBatches: 0, reduced: 0, quarantined: 0, lastWriteMs: 0 },
}

const NO_SPOOL: SpoolFigures = { spoolRecords: 0, spilledBy: { queue_full: 0, database_failing: 0, database_stalled: 0, shutdown: 0 }, replayed: 0 }
const NO_RETENTION: RetentionStats = { runs: 0, failedRuns: 0, requestsDeleted: 0, contentsDeleted: 0 }

/** The value of a sample in Prometheus text (`name` or `name{label="value"}`), or undefined when absent. */
const sample = (text: string, name: string) => {
  const match = new RegExp(`^${name.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)
  return match ? Number(match[1]) : undefined
}

describe('the request counter', () => {
  it('keeps at most the configured number of model labels, and counts other models and non-Claude names as other', async () => {
    const bus = createMemoryBus()
    const metrics = createMetrics({ readHealth: () => IDLE_HEALTH, readSpool: () => NO_SPOOL, readRetention: () => NO_RETENTION, bus, maxModelLabels: 3 })
    try {
      const models = ['claude-sonnet-4-5', 'claude-opus-4-1', 'claude-haiku-4-5', 'claude-invented-1', 'claude-invented-2', 'x'.repeat(5000), 'gpt-4o', 'claude-sonnet-4-5']
      for (const model of models) bus.publish(requestEvent(makeRecord({ model })))
      bus.publish(requestEvent(makeRecord({ model: null })))
      const text = await waitFor(async () => {
        const t = await metrics.registry.metrics()
        return /requests_total\{[^}]*model="unknown"/.test(t) ? t : null
      }, 'every finished request to be counted')
      const labels = [...text.matchAll(/^claudescope_requests_total\{[^}]*model="([^"]*)"[^}]*\} (\d+)/gm)].map((m) => [m[1], Number(m[2])])
      expect(Object.fromEntries(labels)).toEqual({ 'claude-sonnet-4-5': 2, 'claude-opus-4-1': 1, 'claude-haiku-4-5': 1, other: 4, unknown: 1 })
    } finally {
      metrics.close()
      await bus.close()
    }
  })
})

describe('quota figures', () => {
  it('exports the latest 5-hour and 7-day utilization of each organization and key, a 0 included', async () => {
    const bus = createMemoryBus()
    const metrics = createMetrics({ readHealth: () => IDLE_HEALTH, readSpool: () => NO_SPOOL, readRetention: () => NO_RETENTION, bus })
    try {
      const snapshot = (requestId: string, fiveHour: number | null, sevenDay: number | null) => ({
        ...parseRateLimitHeaders({ 'retry-after': '1' }, new Date())!,
        requestId,
        observedAt: new Date(),
        organizationId: 'org-1',
        apiKeyFingerprint: 'key:aaaa1111',
        model: null,
        httpStatus: 200,
        unified5hUtilization: fiveHour,
        unified7dUtilization: sevenDay,
      })
      bus.publish({ kind: 'rateLimit', snapshot: snapshot('a', 0.5, 0) })
      bus.publish({ kind: 'rateLimit', snapshot: snapshot('b', 0.625, null) })
      const text = await waitFor(async () => {
        const t = await metrics.registry.metrics()
        return t.includes('0.625') ? t : null
      }, 'the second snapshot to reach the gauge')

      const values = [...text.matchAll(/^claudescope_ratelimit_utilization\{([^}]*)\} (\S+)$/gm)].map((m) => [m[1], Number(m[2])])
      expect(Object.fromEntries(values)).toEqual({
        'organization="org-1",api_key="key:aaaa1111",window="5h"': 0.625,
        'organization="org-1",api_key="key:aaaa1111",window="7d"': 0,
      })
    } finally {
      metrics.close()
      await bus.close()
    }
  })
})

describe('live bus figures', () => {
  it('exports the events a slow subscriber lost and the replay buffers evicted early', async () => {
    const bus = createMemoryBus({ subscriberBufferSize: 2, replayMaxRequests: 1 })
    const metrics = createMetrics({ readHealth: () => IDLE_HEALTH, readSpool: () => NO_SPOOL, readRetention: () => NO_RETENTION, bus })
    const slow = bus.subscribe()
    try {
      const first = makeRecord()
      const second = makeRecord()
      bus.publish(requestEvent(inFlight(first)))
      for (let seq = 0; seq < 4; seq++) bus.publish(chunkEvent(first, seq))
      // A second request in flight while the bound is one request: the first one's replay goes.
      bus.publish(requestEvent(inFlight(second)))
      const text = await metrics.registry.metrics()
      expect(sample(text, 'claudescope_live_dropped_total')).toBe(bus.droppedEvents)
      expect(bus.droppedEvents).toBeGreaterThan(0)
      expect(sample(text, 'claudescope_live_replay_evictions_total')).toBe(1)
    } finally {
      await slow.return!()
      metrics.close()
      await bus.close()
    }
  })
})

describe('spool figures', () => {
  it('exports the records waiting in the spool, spilled by reason and replayed as capture reports them', async () => {
    const bus = createMemoryBus()
    const spool: SpoolFigures = { spoolRecords: 3, spilledBy: { queue_full: 5, database_failing: 0, database_stalled: 2, shutdown: 0 }, replayed: 4 }
    const metrics = createMetrics({ readHealth: () => IDLE_HEALTH, readSpool: () => spool, readRetention: () => NO_RETENTION, bus })
    try {
      const text = await metrics.registry.metrics()
      expect(sample(text, 'claudescope_capture_spool_records')).toBe(3)
      expect(sample(text, 'claudescope_capture_spilled_total{reason="queue_full"}')).toBe(5)
      expect(sample(text, 'claudescope_capture_spilled_total{reason="database_stalled"}')).toBe(2)
      // A reason that has not happened yet is a series at 0, so a rate over it starts from the first scrape.
      expect(sample(text, 'claudescope_capture_spilled_total{reason="shutdown"}')).toBe(0)
      expect(sample(text, 'claudescope_capture_replayed_total')).toBe(4)

      spool.spilledBy = { ...spool.spilledBy, queue_full: 9, database_failing: 1 }
      const later = await metrics.registry.metrics()
      expect(sample(later, 'claudescope_capture_spilled_total{reason="queue_full"}')).toBe(9)
      expect(sample(later, 'claudescope_capture_spilled_total{reason="database_failing"}')).toBe(1)
      expect(sample(later, 'claudescope_capture_spilled_total{reason="database_stalled"}')).toBe(2)
    } finally {
      metrics.close()
      await bus.close()
    }
  })
})

describe('retention figures', () => {
  it('exports the prunes run and failed, and the requests and contents they deleted', async () => {
    const bus = createMemoryBus()
    const metrics = createMetrics({ readHealth: () => IDLE_HEALTH, readSpool: () => NO_SPOOL, readRetention: () => ({ runs: 3, failedRuns: 1, requestsDeleted: 1200, contentsDeleted: 5400 }), bus })
    try {
      const text = await metrics.registry.metrics()
      expect(sample(text, 'claudescope_retention_runs_total')).toBe(3)
      expect(sample(text, 'claudescope_retention_failed_runs_total')).toBe(1)
      expect(sample(text, 'claudescope_retention_requests_deleted_total')).toBe(1200)
      expect(sample(text, 'claudescope_retention_contents_deleted_total')).toBe(5400)
    } finally {
      metrics.close()
      await bus.close()
    }
  })
})

describe('live subscribers as health and /metrics report them', () => {
  let app: TestApp
  beforeAll(async () => {
    app = await startApp()
  })
  afterAll(() => app?.close())

  it('counts only client subscriptions, not the process’s own listeners', async () => {
    const read = async () => (await queryGraphQL(app.url, graphql('query LiveSubscribers { health { liveSubscribers } }'))).health.liveSubscribers
    const fromMetrics = async () => sample(await (await fetch(`${app.url}/metrics`)).text(), 'claudescope_live_subscribers')
    expect(await read()).toBe(0)
    expect(await fromMetrics()).toBe(0)
    const subscription = subscribeGraphQL(app.url, graphql('subscription RequestEvents { requestEvents { kind } }'))
    try {
      await waitFor(async () => (await read()) === 1, 'the subscription to be counted')
      expect(await fromMetrics()).toBe(1)
    } finally {
      await subscription.close()
    }
    await waitFor(async () => (await read()) === 0, 'the closed subscription to be forgotten')
  })
})

describe('/metrics behind DASHBOARD_TOKEN', () => {
  const TOKEN = 'metrics-test-token'
  let app: TestApp
  beforeAll(async () => {
    app = await startApp({ env: { DASHBOARD_TOKEN: TOKEN } })
  })
  afterAll(() => app?.close())

  it('refuses /metrics without the bearer token, or with a wrong one, when a token is set', async () => {
    const bare = await fetch(`${app.url}/metrics`)
    expect(bare.status).toBe(401)
    expect(bare.headers.get('www-authenticate')).toMatch(/^Bearer/)
    expect(await bare.text()).not.toContain('claudescope_')
    expect((await fetch(`${app.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401)
  })

  it('serves /metrics to a scraper sending the bearer token', async () => {
    const res = await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('claudescope_requests_total')
  })
})
