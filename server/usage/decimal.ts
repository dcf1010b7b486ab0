/**
 * Exact decimal arithmetic for money. A value is a bigint counting units of 10^-scale: prices and
 * costs never pass through binary floating point, so a sum of costs equals the cost of the sum
 * and a price of 0.1 is 0.1.
 */

const DECIMAL = /^(-)?(\d+)(?:\.(\d*))?(?:e([+-]?\d+))?$/i

/**
 * `text` (digits with an optional fraction and exponent, as `String(number)` writes them) in units
 * of 10^-scale. Throws a RangeError when it is not a decimal or has more fractional digits than
 * the scale keeps.
 */
export function toScaled(text: string, scale: number): bigint {
  const match = DECIMAL.exec(text.trim())
  if (match === null) throw new RangeError(`expected a decimal number, got ${JSON.stringify(text)}`)
  const [, minus, whole, fraction = '', exponent = '0'] = match
  const shift = scale + Number(exponent) - fraction.length
  let digits = BigInt(whole! + fraction)
  if (shift >= 0) {
    digits *= 10n ** BigInt(shift)
  } else {
    const divisor = 10n ** BigInt(-shift)
    if (digits % divisor !== 0n) throw new RangeError(`${text} has more than ${scale} decimal places`)
    digits /= divisor
  }
  return minus ? -digits : digits
}

/** A scaled value as a plain decimal string without trailing zeros ("0.0000375", "12", "-0.5"). */
export function formatScaled(value: bigint, scale: number): string {
  const negative = value < 0n
  const digits = (negative ? -value : value).toString().padStart(scale + 1, '0')
  const whole = digits.slice(0, digits.length - scale)
  const fraction = digits.slice(digits.length - scale).replace(/0+$/, '')
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`
}
