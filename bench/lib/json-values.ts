import { isLosslessNumber, isSafeNumber, LosslessNumber, parse as parseLossless } from 'lossless-json'

/** JSON text as a value: numbers a double holds exactly become numbers, others LosslessNumbers. */
export function parseJson(text: string): unknown {
  return parseLossless(text, null, (digits) => (isSafeNumber(digits) ? Number(digits) : new LosslessNumber(digits)))
}

/**
 * Where two JSON values first differ (a path such as `messages[3].content[1].input.offset`), or
 * null when they are equal. Key order does not count, as in JSON; numbers compare digit for digit.
 */
export function firstDifference(sent: unknown, got: unknown, at = '$'): string | null {
  if (isNumeric(sent) && isNumeric(got)) return sameNumber(sent, got) ? null : `${at}: sent ${String(sent)}, got ${String(got)}`
  if (Array.isArray(sent) && Array.isArray(got)) {
    if (sent.length !== got.length) return `${at}: sent ${sent.length} items, got ${got.length}`
    for (let i = 0; i < sent.length; i++) {
      const difference = firstDifference(sent[i], got[i], `${at}[${i}]`)
      if (difference) return difference
    }
    return null
  }
  if (isObject(sent) && isObject(got)) {
    const keys = Object.keys(sent)
    const extra = Object.keys(got).filter((key) => !(key in sent))
    if (extra.length > 0) return `${at}: got keys not sent (${extra.join(', ')})`
    for (const key of keys) {
      if (!(key in got)) return `${at}.${key}: missing`
      const difference = firstDifference(sent[key], got[key], `${at}.${key}`)
      if (difference) return difference
    }
    return null
  }
  return sent === got ? null : `${at}: sent ${preview(sent)}, got ${preview(got)}`
}

const isNumeric = (value: unknown): value is number | LosslessNumber => typeof value === 'number' || isLosslessNumber(value)
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value) && !isLosslessNumber(value)

function sameNumber(a: number | LosslessNumber, b: number | LosslessNumber): boolean {
  return typeof a === 'number' && typeof b === 'number' ? a === b : String(a) === String(b)
}

const preview = (value: unknown) => {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 60 ? `${text.slice(0, 60)}…` : text
}
