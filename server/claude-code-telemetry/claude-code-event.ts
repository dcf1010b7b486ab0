import type { AttributeValue, Attributes, ReceivedLogRecord, ReceivedMetricPoint } from './otlp-payload'

/**
 * Claude Code's events as it exports them (CLAUDE_CODE_ENABLE_TELEMETRY=1): a log record whose
 * body is `claude_code.<name>` and whose attributes carry `event.name` (`<name>`),
 * `event.timestamp` (ISO), `event.sequence` (a counter of the process), `session.id`, and
 * `prompt.id` for everything a prompt set off. Values are strings in older versions and numbers in
 * newer ones, so every reader here takes both.
 */
export const EVENT_PREFIX = 'claude_code.'

/** Longest session or prompt id kept: the client chooses them, and they are indexed. */
const MAX_ID_LENGTH = 200

/** An event as stored: what joins it to requests in columns, everything it said in `attributes`. */
export interface ClaudeCodeEventRow {
  sessionId: string | null
  promptId: string | null
  /** Without the `claude_code.` prefix: user_prompt, api_request, tool_decision, tool_result, api_error, ... */
  eventName: string
  sequence: number | null
  occurredAt: Date
  attributes: Attributes
  resource: Attributes
}

export interface MetricPointRow {
  sessionId: string | null
  metricName: string
  unit: string | null
  value: number
  isMonotonic: boolean | null
  temporality: number | null
  startedAt: Date | null
  observedAt: Date
  attributes: Attributes
  resource: Attributes
}

/** The event a log record is, or why it is not one of Claude Code's. */
export function eventOfLogRecord(record: ReceivedLogRecord, receivedAt: Date): ClaudeCodeEventRow | { rejected: string } {
  const named = text(record.attributes['event.name']) ?? record.eventName ?? (typeof record.body === 'string' && record.body.startsWith(EVENT_PREFIX) ? record.body : null)
  if (named === null || named === '') return { rejected: 'a log record is not a Claude Code event (no event.name attribute, event name or claude_code.* body)' }
  const eventName = named.startsWith(EVENT_PREFIX) ? named.slice(EVENT_PREFIX.length) : named
  return {
    sessionId: id(record.attributes['session.id'] ?? record.resource['session.id']),
    promptId: id(record.attributes['prompt.id']),
    eventName,
    sequence: integer(record.attributes['event.sequence']),
    occurredAt: instant(record.attributes['event.timestamp']) ?? fromNanos(record.timeUnixNano) ?? fromNanos(record.observedTimeUnixNano) ?? receivedAt,
    attributes: record.attributes,
    resource: record.resource,
  }
}

export function metricPointRow(point: ReceivedMetricPoint, receivedAt: Date): MetricPointRow {
  return {
    sessionId: id(point.attributes['session.id'] ?? point.resource['session.id']),
    metricName: point.name,
    unit: point.unit,
    value: point.value,
    isMonotonic: point.isMonotonic,
    temporality: point.temporality,
    startedAt: fromNanos(point.startTimeUnixNano),
    observedAt: fromNanos(point.timeUnixNano) ?? receivedAt,
    attributes: point.attributes,
    resource: point.resource,
  }
}

/** A string attribute; null for anything else. */
export const text = (value: AttributeValue | undefined): string | null => (typeof value === 'string' ? value : null)

/** A number, or a string holding one (older Claude Code sends `"1234"`). */
export function quantity(value: AttributeValue | undefined): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null
  if (typeof value !== 'string' || value.trim() === '') return null
  const n = Number(value)
  return Number.isFinite(n) ? n : null
}

export function integer(value: AttributeValue | undefined): number | null {
  const n = quantity(value)
  return n !== null && Number.isSafeInteger(n) ? n : null
}

/** `true`/`false` as a boolean or its text. */
export function flag(value: AttributeValue | undefined): boolean | null {
  if (typeof value === 'boolean') return value
  if (value === 'true') return true
  if (value === 'false') return false
  return null
}

function id(value: AttributeValue | undefined): string | null {
  const s = text(value)?.trim()
  return s && s.length <= MAX_ID_LENGTH ? s : null
}

function instant(value: AttributeValue | undefined): Date | null {
  const s = text(value)
  if (s === null) return null
  const ms = Date.parse(s)
  return Number.isNaN(ms) ? null : new Date(ms)
}

function fromNanos(value: string | null): Date | null {
  if (value === null || !/^\d{1,20}$/.test(value)) return null
  const ms = Number(BigInt(value) / 1_000_000n)
  return ms > 0 && ms < 8.64e15 ? new Date(ms) : null
}
