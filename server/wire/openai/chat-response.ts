/**
 * A Chat Completions answer (JSON, not streamed) rewritten as the Anthropic Message a client of
 * /v1/messages expects: the first choice's text, refusal and tool calls as content blocks, the
 * finish reason as stop_reason, the usage in Anthropic's fields. Written with lossless-json so a
 * tool call's arguments keep every number exact.
 */
import { stringify as stringifyLossless } from 'lossless-json'
import { isJsonObject, parseJsonObject, type JsonObject } from '../json-object'
import { toAnthropicUsage, toStopReason } from './chat-usage'
import { toToolInput } from './tool-arguments'

/** The Message's JSON text, or null when `openAiBody` is not a Chat Completions object. */
export function toAnthropicMessageJson(openAiBody: string, fallbackModel: string): string | null {
  const message = toAnthropicMessage(openAiBody, fallbackModel)
  return message === null ? null : (stringifyLossless(message) ?? null)
}

/** The Message as an object (tool inputs hold LosslessNumbers), or null when `openAiBody` is not a Chat Completions object. */
export function toAnthropicMessage(openAiBody: string, fallbackModel: string): JsonObject | null {
  const completion = parseJsonObject(openAiBody)
  if (completion === null || !Array.isArray(completion.choices)) return null
  const choice = completion.choices.find(isJsonObject) ?? {}
  const message = isJsonObject(choice.message) ? choice.message : {}
  const content: JsonObject[] = []
  if (typeof message.content === 'string' && message.content !== '') content.push({ type: 'text', text: message.content })
  if (typeof message.refusal === 'string' && message.refusal !== '') content.push({ type: 'text', text: message.refusal })
  for (const call of Array.isArray(message.tool_calls) ? message.tool_calls.filter(isJsonObject) : []) {
    const fn = isJsonObject(call.function) ? call.function : {}
    content.push({
      type: 'tool_use',
      id: typeof call.id === 'string' ? call.id : '',
      name: typeof fn.name === 'string' ? fn.name : '',
      input: toToolInput(typeof fn.arguments === 'string' ? fn.arguments : ''),
    })
  }
  const usage = toAnthropicUsage(completion.usage) ?? { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 }
  return {
    id: typeof completion.id === 'string' ? completion.id : '',
    type: 'message',
    role: 'assistant',
    model: typeof completion.model === 'string' ? completion.model : fallbackModel,
    content,
    stop_reason: toStopReason(choice.finish_reason) ?? 'end_turn',
    stop_sequence: null,
    usage,
  }
}
