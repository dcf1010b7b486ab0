import type { UsageRecord } from '../records/request-record'

/** A numeric column as read (bigint and numeric come back as strings). */
export const num = (value: string | number | null): number | null => (value === null ? null : Number(value))

/** The usage columns a turn query selects from `requests r`. */
export const TURN_USAGE_COLUMNS = `r.input_tokens, r.output_tokens, r.cache_creation_input_tokens, r.cache_creation_5m_input_tokens, r.cache_creation_1h_input_tokens,
  r.cache_read_input_tokens, r.thinking_tokens, r.web_search_requests, r.web_fetch_requests, r.service_tier, r.inference_geo`

/** A row's usage (TURN_USAGE_COLUMNS); null when the response reported none. */
export function usageOfRow(row: Record<string, unknown>): UsageRecord | null {
  const count = (name: string): number | null => num(row[name] as string | number | null)
  const usage: UsageRecord = {
    inputTokens: count('input_tokens'),
    outputTokens: count('output_tokens'),
    cacheCreationInputTokens: count('cache_creation_input_tokens'),
    cacheCreation5mInputTokens: count('cache_creation_5m_input_tokens'),
    cacheCreation1hInputTokens: count('cache_creation_1h_input_tokens'),
    cacheReadInputTokens: count('cache_read_input_tokens'),
    thinkingTokens: count('thinking_tokens'),
    webSearchRequests: count('web_search_requests'),
    webFetchRequests: count('web_fetch_requests'),
    serviceTier: row.service_tier as string | null,
    inferenceGeo: row.inference_geo as string | null,
  }
  return Object.values(usage).some((value) => value !== null) ? usage : null
}
