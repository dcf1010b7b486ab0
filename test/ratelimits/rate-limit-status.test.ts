import { describe, expect, it } from 'vitest'
import { createMemoryBus } from '../../server/live/memory-bus'
import type { RateLimitSnapshotRecord } from '../../server/records/rate-limit-snapshot'
import { rateLimitUpdates } from '../../server/ratelimits/rate-limit-subscriptions'
import { toRateLimitStatus } from '../../server/ratelimits/rate-limit-status'
import { parseRateLimitHeaders } from '../../server/wire/rate-limit-headers'
import { chunkEvent, makeRecord, requestEvent } from '../support/record-fixtures'

const NOW = Date.parse('2026-12-03T12:00:00.000Z')

function snapshot(headers: Record<string, string>, requestId = 'req-1'): RateLimitSnapshotRecord {
  const observedAt = new Date(NOW - 60_000)
  return { ...parseRateLimitHeaders(headers, observedAt)!, requestId, observedAt, organizationId: 'org-1', apiKeyFingerprint: 'key:aaaa1111', model: null, httpStatus: 200 }
}

describe('toRateLimitStatus', () => {
  it('counts time to reset from now, 0 once past, and reads each window start off its reset', () => {
    const status = toRateLimitStatus(
      snapshot({
        'anthropic-ratelimit-unified-status': 'allowed_warning',
        'anthropic-ratelimit-unified-reset': String(NOW / 1000 + 90),
        'anthropic-ratelimit-unified-5h-utilization': '0.91',
        'anthropic-ratelimit-unified-5h-reset': String(NOW / 1000 + 90),
        'anthropic-ratelimit-unified-7d-utilization': '0',
        'anthropic-ratelimit-unified-7d-reset': String(NOW / 1000 - 30),
        'anthropic-ratelimit-requests-remaining': '0',
      }),
      NOW,
    )

    expect(status).toMatchObject({ status: 'allowed_warning', resetsInSeconds: 90 })
    expect(status.fiveHour).toMatchObject({ name: '5h', utilization: 0.91, resetsInSeconds: 90, startedAt: new Date(NOW + 90_000 - 5 * 3600_000) })
    // A 7-day window whose reset has passed: 0 seconds to go, its figure that of the ended window.
    expect(status.sevenDay).toMatchObject({ name: '7d', utilization: 0, resetsInSeconds: 0, startedAt: new Date(NOW - 30_000 - 7 * 24 * 3600_000) })
    expect(status.requests).toEqual({ limit: null, remaining: 0, resetsAt: null, resetsInSeconds: null })
  })

  it('leaves out the families a response did not report', () => {
    const status = toRateLimitStatus(snapshot({ 'retry-after': '7' }), NOW)

    expect(status).toMatchObject({ status: null, resetsAt: null, resetsInSeconds: null, fiveHour: null, sevenDay: null, requests: null, tokens: null, inputTokens: null, outputTokens: null })
    expect(status.snapshot.retryAfterSeconds).toBe(7)
  })
})

describe('rateLimitUpdates', () => {
  it('yields a status for each snapshot published, and nothing for request or chunk events', async () => {
    const bus = createMemoryBus()
    const updates = rateLimitUpdates(bus)
    const record = makeRecord()
    bus.publish(requestEvent(record))
    bus.publish(chunkEvent(record, 0))
    bus.publish({ kind: 'rateLimit', snapshot: snapshot({ 'anthropic-ratelimit-unified-5h-utilization': '0.2' }, 'req-2') })

    const { value } = await updates.next()
    expect(value).toMatchObject({ organizationId: 'org-1', fiveHour: { utilization: 0.2 }, snapshot: { requestId: 'req-2' } })
    await updates.return!()
    expect(bus.subscriberCount).toBe(0)
    await bus.close()
  })
})
