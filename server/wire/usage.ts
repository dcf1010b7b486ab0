/**
 * Token usage as the Anthropic API reports it, and how it merges: across message_start and every
 * message_delta (whose counts are cumulative, not increments), the last non-null value of each
 * field wins.
 */
import { isJsonObject } from './json-object'

/** Token usage after the merge rule (last non-null value of each field); null = never reported. */
export interface UsageRecord {
  inputTokens: number | null
  outputTokens: number | null
  cacheCreationInputTokens: number | null
  cacheCreation5mInputTokens: number | null
  cacheCreation1hInputTokens: number | null
  cacheReadInputTokens: number | null
  thinkingTokens: number | null
  webSearchRequests: number | null
  webFetchRequests: number | null
  serviceTier: string | null
  /** Where the model ran when the request asked for a region (e.g. `us`, priced higher); null when unreported. */
  inferenceGeo: string | null
}

/** `usage` in the API's snake_case shape; every field may be absent or null. Unknown fields are kept. */
export interface RawUsage {
  input_tokens?: number | null
  output_tokens?: number | null
  cache_creation_input_tokens?: number | null
  cache_read_input_tokens?: number | null
  cache_creation?: {
    ephemeral_5m_input_tokens?: number | null
    ephemeral_1h_input_tokens?: number | null
    [field: string]: unknown
  } | null
  server_tool_use?: {
    web_search_requests?: number | null
    web_fetch_requests?: number | null
    [field: string]: unknown
  } | null
  output_tokens_details?: { thinking_tokens?: number | null; [field: string]: unknown } | null
  /** `standard`, `priority` or `batch`. */
  service_tier?: string | null
  inference_geo?: string | null
  [field: string]: unknown
}

/**
 * Merges `next` over `acc` without mutating either: a non-null field of `next` overrides, a null or
 * absent one keeps `acc`'s value; nested objects (cache_creation, server_tool_use,
 * output_tokens_details) merge field by field. A field new to `acc` is added even when null, so
 * the result keeps the keys (and their order) the API reported.
 */
export function mergeUsage(acc: RawUsage | null, next: RawUsage | undefined): RawUsage | null {
  if (!isJsonObject(next)) return acc
  if (acc === null) return mergeFields({}, next)
  return mergeFields(acc, next)
}

export function toUsageRecord(raw: RawUsage | null): UsageRecord | null {
  if (raw === null) return null
  return {
    inputTokens: numberOrNull(raw.input_tokens),
    outputTokens: numberOrNull(raw.output_tokens),
    cacheCreationInputTokens: numberOrNull(raw.cache_creation_input_tokens),
    cacheCreation5mInputTokens: numberOrNull(raw.cache_creation?.ephemeral_5m_input_tokens),
    cacheCreation1hInputTokens: numberOrNull(raw.cache_creation?.ephemeral_1h_input_tokens),
    cacheReadInputTokens: numberOrNull(raw.cache_read_input_tokens),
    thinkingTokens: numberOrNull(raw.output_tokens_details?.thinking_tokens),
    webSearchRequests: numberOrNull(raw.server_tool_use?.web_search_requests),
    webFetchRequests: numberOrNull(raw.server_tool_use?.web_fetch_requests),
    serviceTier: typeof raw.service_tier === 'string' ? raw.service_tier : null,
    inferenceGeo: typeof raw.inference_geo === 'string' ? raw.inference_geo : null,
  }
}

function mergeFields<T extends Record<string, unknown>>(acc: T, next: Record<string, unknown>): T {
  const out: Record<string, unknown> = { ...acc }
  for (const [key, value] of Object.entries(next)) {
    if (value === undefined) continue
    const current = out[key]
    if (value === null) {
      if (!(key in out)) out[key] = null
    } else if (isJsonObject(value) && isJsonObject(current)) {
      out[key] = mergeFields(current, value)
    } else {
      out[key] = value
    }
  }
  return out as T
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null
}
