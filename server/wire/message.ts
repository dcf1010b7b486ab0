/**
 * Reading the fields of a Message (or of the Message part of a stream event) that records keep.
 * A field of the wrong type reads as absent: upstream's JSON is never trusted to be well-formed.
 */
import { isJsonObject } from './json-object'
import type { RawUsage } from './usage'

/** `stop_reason` (`end_turn`, `tool_use`, …); null when absent or not a string. */
export function stopReasonOf(message: Readonly<Record<string, unknown>> | null): string | null {
  const value = message?.stop_reason
  return typeof value === 'string' ? value : null
}

/** `usage` as the API sent it; undefined when absent or not an object. */
export function rawUsageOf(message: Readonly<Record<string, unknown>>): RawUsage | undefined {
  const usage = message.usage
  return isJsonObject(usage) ? (usage as RawUsage) : undefined
}
