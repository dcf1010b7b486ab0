import { parse, parseNumberAndBigInt, stringify } from 'lossless-json'
import type { JsonValue } from '../graphql/graphql'

/**
 * Recorded bodies as the client sent them: integers beyond 2^53 (tool inputs) become `bigint`
 * instead of being rounded by JSON.parse. Text that is not JSON comes back as itself.
 */
export function parseExactJson(text: string | null): JsonValue {
  if (text === null) return null
  try {
    return parse(text, null, parseNumberAndBigInt) as JsonValue
  } catch {
    return text
  }
}

/** Pretty JSON that prints big integers digit for digit; text stays as it is. */
export function exactJsonText(value: JsonValue): string {
  return typeof value === 'string' ? value : (stringify(value, null, 2) ?? '')
}
