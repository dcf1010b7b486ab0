/**
 * What Chat Completions reports about the end of an answer, in Anthropic's words: why it stopped
 * and the tokens it used. Shared by the JSON answer and the stream.
 */
import { isJsonObject } from '../json-object'
import type { RawUsage } from '../usage'

/**
 * `finish_reason` as a `stop_reason`: stop → end_turn, length → max_tokens, tool_calls (and the
 * older function_call) → tool_use, content_filter → refusal; null stays null, and a reason this
 * table does not know is end_turn (the answer did end).
 */
export function toStopReason(finishReason: unknown): string | null {
  switch (finishReason) {
    case null:
    case undefined:
      return null
    case 'length':
      return 'max_tokens'
    case 'tool_calls':
    case 'function_call':
      return 'tool_use'
    case 'content_filter':
      return 'refusal'
    default:
      return 'end_turn'
  }
}

/**
 * Chat Completions `usage` as Anthropic usage. Its `prompt_tokens` include the cached ones
 * (`prompt_tokens_details.cached_tokens`), Anthropic's `input_tokens` do not: the cached tokens
 * become `cache_read_input_tokens` and are taken out of `input_tokens`, so nothing is counted
 * twice. Providers write no cache, hence `cache_creation_input_tokens` 0. Null when there is no usage.
 */
export function toAnthropicUsage(usage: unknown): RawUsage | null {
  if (!isJsonObject(usage)) return null
  const prompt = count(usage.prompt_tokens)
  const details = usage.prompt_tokens_details
  const cached = isJsonObject(details) ? Math.min(count(details.cached_tokens), prompt) : 0
  return {
    input_tokens: prompt - cached,
    output_tokens: count(usage.completion_tokens),
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
  }
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.trunc(value) : 0
}
