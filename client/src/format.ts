/**
 * Display formats for the dashboard. Times are shown in the viewer's own timezone and locale
 * (Intl with no explicit zone), durations and counts in units a reader takes in at a glance.
 */

const timeOfDay = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' })
const dayAndTime = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' })
const fullDateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'long' })
const count = new Intl.NumberFormat()

/** Time of day for today's instants, day and time for older ones. */
export function formatTime(iso: string, now: Date = new Date()): string {
  const date = new Date(iso)
  return date.toDateString() === now.toDateString() ? timeOfDay.format(date) : dayAndTime.format(date)
}

/** Date, time and timezone name, for titles and the detail panel. */
export function formatDateTime(iso: string | null): string {
  return iso ? fullDateTime.format(new Date(iso)) : '—'
}

/** `340 ms`, `1.2 s`, `2 min 5 s`; `—` when unknown. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const seconds = Math.round(ms / 1000)
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`
}

/** Grouped digits in the viewer's locale; `—` when unknown (0 is a value, not absence). */
export function formatCount(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : count.format(value)
}

const BYTE_UNITS = ['KiB', 'MiB', 'GiB', 'TiB']

/** `512 B`, `3.40 KiB`, `12.5 MiB`, `120 MiB`: three significant digits, binary units as `du -h` counts them. */
export function formatBytes(bytes: number): string {
  if (bytes < 999.5) return `${Math.round(bytes)} B`
  let value = bytes
  let unit = -1
  // Past 999.5 the next unit, so rounding never shows four digits (`1024 KiB`).
  while ((unit === -1 || value >= 999.5) && unit < BYTE_UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return `${value < 999.5 ? value.toPrecision(3) : Math.round(value)} ${BYTE_UNITS[unit]}`
}
