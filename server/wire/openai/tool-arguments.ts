import { LosslessNumber, parse as parseLossless } from 'lossless-json'
import { isJsonObject } from '../json-object'

/** Tool inputs are only re-emitted, never computed with: every number keeps its text. */
const exactNumber = (text: string): LosslessNumber => new LosslessNumber(text)

/**
 * A tool call's `arguments` string as a tool_use `input`, numbers exact. Anthropic's input is an
 * object: arguments that are empty become `{}`, and arguments that are not a JSON object (a model
 * can write anything there) are kept whole as `{"arguments": "<the text>"}` rather than lost.
 */
export function toToolInput(argumentsText: string): unknown {
  if (argumentsText.trim() === '') return {}
  try {
    const value: unknown = parseLossless(argumentsText, null, exactNumber)
    if (isJsonObject(value)) return value
  } catch {
    // Kept whole below.
  }
  return { arguments: argumentsText }
}
