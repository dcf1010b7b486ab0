/** Display formats for money, shares and time left, in the viewer's locale. */

const usd = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 4 })
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 })

/** `$0.0123`; `—` when not priced (an unknown cost is never shown as $0). */
export function formatUsd(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : usd.format(value)
}

/** A fraction as a percentage, `42%`; `—` when unknown. */
export function formatPercent(fraction: number | null | undefined): string {
  return fraction === null || fraction === undefined ? '—' : percent.format(fraction)
}

/** Time left as `2 d 3 h`, `4 h 05 min`, `12 min 09 s` or `9 s`: coarser the further away. */
export function formatTimeLeft(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds))
  const days = Math.floor(s / 86_400)
  const hours = Math.floor((s % 86_400) / 3600)
  const minutes = Math.floor((s % 3600) / 60)
  const rest = s % 60
  const two = (n: number) => String(n).padStart(2, '0')
  if (days > 0) return `${days} d ${hours} h`
  if (hours > 0) return `${hours} h ${two(minutes)} min`
  if (minutes > 0) return `${minutes} min ${two(rest)} s`
  return `${rest} s`
}

/** `1 request`, `3 requests`, with the count in the viewer's locale. */
export function formatQuantity(count: number, noun: string): string {
  return `${count.toLocaleString()} ${count === 1 ? noun : `${noun}s`}`
}
