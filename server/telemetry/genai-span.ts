/**
 * A finished exchange as one OpenTelemetry span in the GenAI semantic conventions, so Langfuse,
 * Phoenix or any OTLP backend reads it as an LLM call: model, tokens, cache, finish reason.
 * I/O-free; otlp-export turns it into a real span.
 */
import type { Attributes } from '@opentelemetry/api'
import type { RequestRecord } from '../records/request-record'
import { sessionOf } from '../conversations/session-key'
import { parseJsonObject } from '../wire/json-object'

export interface GenAiSpan {
  name: string
  startTime: Date
  endTime: Date
  attributes: Attributes
  /** Why the exchange failed, for the span's error status; null when it succeeded. */
  error: string | null
}

/** The GenAI span of an ended exchange (its record COMPLETED, FAILED or ABORTED). */
export function genAiSpanOf(record: RequestRecord): GenAiSpan {
  const isMessages = record.path === '/v1/messages'
  const response = isMessages && record.responseBody !== null ? parseJsonObject(record.responseBody) : null
  const usage = record.usage
  const attributes: Attributes = {
    'gen_ai.provider.name': record.provider,
    'http.request.method': record.method,
    'url.path': record.path,
    'claudescope.request.id': record.id,
    'claudescope.stream': record.stream,
  }
  if (isMessages) attributes['gen_ai.operation.name'] = 'chat'
  set(attributes, 'gen_ai.request.model', record.model)
  set(attributes, 'gen_ai.response.model', typeof response?.model === 'string' ? response.model : (record.routedModel ?? null))
  set(attributes, 'gen_ai.response.id', typeof response?.id === 'string' ? response.id : null)
  if (record.stopReason !== null) attributes['gen_ai.response.finish_reasons'] = [record.stopReason]
  set(attributes, 'http.response.status_code', record.httpStatus)
  set(attributes, 'claudescope.upstream_request.id', record.upstreamRequestId)
  // The session from the request's headers (Claude Code's own, or x-claudescope-session): reading
  // the one inside metadata.user_id would mean parsing the whole body again, for every span.
  set(attributes, 'gen_ai.conversation.id', sessionOf(record.requestHeaders, undefined)?.key ?? null)
  if (usage) {
    // All input, cached or not: the conventions count cache reads and writes inside input tokens.
    const input = sum(usage.inputTokens, usage.cacheCreationInputTokens, usage.cacheReadInputTokens)
    set(attributes, 'gen_ai.usage.input_tokens', input)
    set(attributes, 'gen_ai.usage.output_tokens', usage.outputTokens)
    set(attributes, 'gen_ai.usage.cache_read.input_tokens', usage.cacheReadInputTokens)
    set(attributes, 'gen_ai.usage.cache_creation.input_tokens', usage.cacheCreationInputTokens)
  }
  const error = record.status === 'COMPLETED' && (record.httpStatus ?? 200) < 400 ? null : (record.error ?? errorTypeOf(record))
  if (error !== null) attributes['error.type'] = record.errorCode ?? (record.httpStatus !== null && record.httpStatus >= 400 ? String(record.httpStatus) : record.status.toLowerCase())
  return {
    name: isMessages ? `chat ${record.model ?? 'unknown'}` : `${record.method} ${record.path}`,
    startTime: record.startedAt,
    endTime: record.completedAt ?? record.startedAt,
    attributes,
    error,
  }
}

function set(attributes: Attributes, key: string, value: string | number | null): void {
  if (value !== null) attributes[key] = value
}

/** The sum of the counts reported, or null when none was. */
function sum(...counts: (number | null)[]): number | null {
  const reported = counts.filter((count): count is number => count !== null)
  return reported.length === 0 ? null : reported.reduce((a, b) => a + b, 0)
}

function errorTypeOf(record: RequestRecord): string {
  return record.status === 'ABORTED' ? 'the client went away' : `upstream answered ${record.httpStatus ?? 'nothing'}`
}
