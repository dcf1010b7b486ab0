/**
 * `usage_rollups`: per 15-minute UTC slot, the sums of the finished requests that started in it,
 * at three grains (see the migration that creates it; triggers keep it equal to `requests`).
 * A slot is 15 minutes because every current IANA zone's offset is a multiple of it, so a local
 * hour, day or week in any zone is a union of whole slots.
 */
export const USAGE_ROLLUPS_TABLE = 'usage_rollups'

/** Length of a rollup slot, in milliseconds. */
export const ROLLUP_SLOT_MS = 15 * 60_000

/**
 * `usage_hour_rollups`: the same sums per UTC hour, kept by the same triggers, for ranges long
 * enough that reading four slots an hour costs more than the rest of a report.
 */
export const USAGE_HOUR_ROLLUPS_TABLE = 'usage_hour_rollups'

export const ROLLUP_HOUR_MS = 60 * 60_000

/**
 * The dimensions a rollup row is kept by; a dimension left out of a grain holds ''. A report reads
 * the smallest grain that has every dimension it groups by. Conversations will be one more grain
 * (with its column) when requests carry a conversation id.
 */
export const ROLLUP_GRAINS = [
  { name: 'model', dimensions: ['model'] },
  { name: 'api_key', dimensions: ['api_key_fingerprint'] },
  { name: 'model_api_key', dimensions: ['model', 'api_key_fingerprint'] },
] as const

export type RollupDimension = (typeof ROLLUP_GRAINS)[number]['dimensions'][number]

/**
 * The counters of a rollup row, each with the expression that gives one finished `requests` row's
 * share (as `r`): the same expressions the triggers add, used to read slots not wholly in a range
 * from `requests` itself.
 */
export const ROLLUP_COUNTERS = [
  { name: 'requests', ofRequest: '1' },
  { name: 'input_tokens', ofRequest: 'coalesce(r.input_tokens, 0)' },
  { name: 'output_tokens', ofRequest: 'coalesce(r.output_tokens, 0)' },
  { name: 'cache_creation_input_tokens', ofRequest: 'coalesce(r.cache_creation_input_tokens, 0)' },
  { name: 'cache_creation_5m_input_tokens', ofRequest: 'coalesce(r.cache_creation_5m_input_tokens, 0)' },
  { name: 'cache_creation_1h_input_tokens', ofRequest: 'coalesce(r.cache_creation_1h_input_tokens, 0)' },
  { name: 'cache_read_input_tokens', ofRequest: 'coalesce(r.cache_read_input_tokens, 0)' },
  { name: 'thinking_tokens', ofRequest: 'coalesce(r.thinking_tokens, 0)' },
  { name: 'web_search_requests', ofRequest: 'coalesce(r.web_search_requests, 0)' },
  { name: 'web_fetch_requests', ofRequest: 'coalesce(r.web_fetch_requests, 0)' },
  { name: 'cost_usd', ofRequest: 'coalesce(r.cost_usd, 0)' },
  { name: 'unpriced_requests', ofRequest: `CASE WHEN r.cost_status = 'UNKNOWN_MODEL' THEN 1 ELSE 0 END` },
] as const

export type RollupCounter = (typeof ROLLUP_COUNTERS)[number]['name']

/** A dimension's value in a `requests` row `r`, as the triggers derive it. */
export const DIMENSION_OF_REQUEST: Record<RollupDimension, string> = {
  model: `coalesce(r.routed_model, r.model, '')`,
  api_key_fingerprint: `coalesce(r.api_key_fingerprint, '')`,
}
