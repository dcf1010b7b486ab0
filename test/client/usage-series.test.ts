import { describe, expect, it } from 'vitest'
import { cacheChart, tokensChart } from '../../client/src/usage/chart-options'
import { bucketLabel, bucketStarts, cacheWriteUsd, priceFor, usageRange, usageSeries } from '../../client/src/usage/usage-series'
import { usageBucket, usageReport } from '../support/dashboard-page-fixtures'

const colors = { text: '#000', textMuted: '#333', border: '#ccc', surface: '#fff', accent: '#f00' }
const price = (model: string, write5m: string, write1h: string, minInputTokens = 0) => ({ model, effectiveFrom: '2025-01-01T00:00:00.000Z', minInputTokens, cacheWrite5mUsdPerMTok: write5m, cacheWrite1hUsdPerMTok: write1h })

describe('usage series', () => {
  it('arranges buckets by local start and model, filling absent pairs with 0 and summing tokens read and written', () => {
    const series = usageSeries(
      usageReport([
        usageBucket('2026-01-15T00:00:00', 'claude-sonnet-4-5', { totalInputTokens: 300, outputTokens: 30, cacheReadInputTokens: 150 }),
        usageBucket('2026-01-14T00:00:00', 'claude-sonnet-4-5', { totalInputTokens: 1000, outputTokens: 200 }),
        usageBucket('2026-01-15T00:00:00', 'claude-haiku-4-5', { totalInputTokens: 50, outputTokens: 5, cacheReadInputTokens: 50 }),
      ]),
      [],
    )
    expect(series.buckets).toEqual(['2026-01-14T00:00:00', '2026-01-15T00:00:00'])
    expect(series.models).toEqual(['claude-haiku-4-5', 'claude-sonnet-4-5'])
    expect(series.tokens).toEqual([
      [0, 55],
      [1200, 330],
    ])
    expect(series.cacheReadShare).toEqual([0, 200 / 350])
  })

  it('gives the tokens chart one stacked bar series per model with the bucket sums, and the cache chart the share in percent', () => {
    const series = usageSeries(usageReport([usageBucket('2026-01-15T00:00:00', 'claude-sonnet-4-5', { totalInputTokens: 400, cacheReadInputTokens: 100, outputTokens: 10 })]), [])
    const tokens = tokensChart(series, 'DAY', colors)
    expect(tokens.series).toEqual([expect.objectContaining({ name: 'claude-sonnet-4-5', type: 'bar', stack: 'Tokens by model', data: [410] })])
    expect(tokens.aria).toEqual({ enabled: true, label: { description: `Tokens by model. ${bucketLabel('2026-01-15T00:00:00', 'DAY')}: claude-sonnet-4-5 410; total 410.` } })
    const cache = cacheChart(series, 'DAY', colors)
    expect((cache.series as { data: unknown[] }[])[0]!.data).toEqual([25])
  })

  it('prices cache writes by duration with the base tier of the longest price key the model id holds', () => {
    const prices = [price('claude-sonnet-4', '1', '1'), price('claude-sonnet-4-5', '3.75', '6'), price('claude-sonnet-4-5', '7.5', '12', 200_000)]
    const chosen = priceFor('claude-sonnet-4-5-20250929', prices)
    expect(chosen?.cacheWrite5mUsdPerMTok).toBe('3.75')
    // 1M unsplit writes count as 5-minute ones.
    expect(cacheWriteUsd({ cacheCreationInputTokens: 3_000_000, cacheCreation5mInputTokens: 1_000_000, cacheCreation1hInputTokens: 1_000_000 }, chosen)).toBeCloseTo(2 * 3.75 + 6)
    expect(priceFor('gpt-4o', prices)).toBeNull()
    expect(cacheWriteUsd({ cacheCreationInputTokens: 10, cacheCreation5mInputTokens: 10, cacheCreation1hInputTokens: 0 }, null)).toBe(0)
  })

  it('ends a range with the current local hour or day complete and starts it 24 hours or whole days before', () => {
    const now = new Date(2026, 0, 15, 14, 25, 10)
    expect(usageRange('24h', now)).toEqual({ from: new Date(2026, 0, 14, 15).toISOString(), to: new Date(2026, 0, 15, 15).toISOString() })
    expect(usageRange('7d', now)).toEqual({ from: new Date(2026, 0, 9).toISOString(), to: new Date(2026, 0, 16).toISOString() })
    expect(usageRange('30d', now).from).toBe(new Date(2025, 11, 17).toISOString())
  })

  it('draws every hour or day of the range, those without traffic as 0', () => {
    const week = bucketStarts(usageRange('7d', new Date(2026, 0, 15, 14)), 'DAY')
    expect(week).toEqual(['2026-01-09', '2026-01-10', '2026-01-11', '2026-01-12', '2026-01-13', '2026-01-14', '2026-01-15'].map((day) => `${day}T00:00:00`))
    expect(bucketStarts(usageRange('24h', new Date(2026, 0, 15, 14)), 'HOUR')).toHaveLength(24)
    const series = usageSeries(usageReport([usageBucket('2026-01-15T00:00:00', 'claude-sonnet-4-5', { totalInputTokens: 10, outputTokens: 1 })]), [], week)
    expect(series.tokens).toEqual([[0, 0, 0, 0, 0, 0, 11]])
    expect(series.cacheReadShare.slice(0, 6)).toEqual([null, null, null, null, null, null])
  })

  it('labels a wall-clock bucket start without shifting it by the viewer’s offset', () => {
    expect(bucketLabel('2026-03-08T00:00:00', 'DAY')).toBe(new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(Date.UTC(2026, 2, 8)))
    expect(bucketLabel('2026-03-08T23:00:00', 'HOUR')).toBe(new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', timeZone: 'UTC' }).format(Date.UTC(2026, 2, 8, 23)))
  })
})
