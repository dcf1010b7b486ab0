import { describe, expect, it } from 'vitest'
import { formatBytes, formatCount, formatDuration, formatTime } from '../../client/src/format'

describe('display formats', () => {
  it('writes durations in the unit a reader takes in at a glance', () => {
    expect(formatDuration(null)).toBe('—')
    expect(formatDuration(0)).toBe('0 ms')
    expect(formatDuration(340.4)).toBe('340 ms')
    expect(formatDuration(1234)).toBe('1.2 s')
    expect(formatDuration(125_000)).toBe('2 min 5 s')
  })

  it('writes sizes in binary units with three significant digits, never four', () => {
    expect(formatBytes(0)).toBe('0 B')
    expect(formatBytes(999)).toBe('999 B')
    expect(formatBytes(1000)).toBe('0.977 KiB')
    expect(formatBytes(10_235)).toBe('10.0 KiB')
    expect(formatBytes(3.4 * 1024)).toBe('3.40 KiB')
    expect(formatBytes(12.5 * 1024 * 1024)).toBe('12.5 MiB')
    expect(formatBytes(1024 * 1024 - 1)).toBe('1.00 MiB')
    expect(formatBytes(120 * 1024 * 1024)).toBe('120 MiB')
    expect(formatBytes(5 * 1024 ** 5)).toBe('5120 TiB')
  })

  it('tells a zero count from an unknown one', () => {
    expect(formatCount(0)).toBe('0')
    expect(formatCount(null)).toBe('—')
    expect(formatCount(undefined)).toBe('—')
    expect(formatCount(1_234_567)).toBe(new Intl.NumberFormat().format(1_234_567))
  })

  it('shows only the time of day for today, and the day as well for older instants', () => {
    const now = new Date(2026, 0, 15, 18, 0, 0)
    const today = formatTime(new Date(2026, 0, 15, 9, 5, 7).toISOString(), now)
    const earlier = formatTime(new Date(2026, 0, 14, 9, 5, 7).toISOString(), now)
    expect(today).toMatch(/05/)
    expect(earlier.length).toBeGreaterThan(today.length)
    expect(earlier).toContain(today)
  })
})
