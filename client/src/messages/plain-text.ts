import type { JsonValue } from '../graphql/graphql'
import { exactJsonText } from './exact-json'

/**
 * Recorded messages as labelled plain text: the detail panel's stand-in until every block type has
 * its own view. Everything here ends up in text nodes, so hostile content stays inert.
 */
export interface PlainBlock {
  /** The block type as recorded (`text`, `tool_use`, …), with `error` noted for failed tool results. */
  label: string
  text: string
}

export interface PlainMessage {
  role: string
  blocks: PlainBlock[]
}

/** The parts of a Messages API request body a reader looks for first. */
export interface PlainRequest {
  system: PlainBlock[]
  messages: PlainMessage[]
}

type JsonObject = { [key: string]: JsonValue }

/** A Messages request's system prompt and messages; null when the body has no `messages` list. */
export function plainRequest(body: JsonValue): PlainRequest | null {
  if (!isObject(body) || !Array.isArray(body.messages)) return null
  return {
    system: body.system === undefined || body.system === null ? [] : plainContent(body.system),
    messages: body.messages.map((message) =>
      isObject(message) ? { role: String(message.role ?? 'unknown'), blocks: plainContent(message.content ?? null) } : { role: 'unknown', blocks: [asJson(message)] },
    ),
  }
}

/** A Message response's content blocks; null when the body has no `content` list (errors, other endpoints). */
export function plainResponse(body: JsonValue): PlainBlock[] | null {
  return isObject(body) && Array.isArray(body.content) ? plainContent(body.content) : null
}

/** Content as the API allows it: a string, or a list of typed blocks. */
export function plainContent(content: JsonValue): PlainBlock[] {
  if (typeof content === 'string') return [{ label: 'text', text: content }]
  if (!Array.isArray(content)) return [asJson(content)]
  return content.map(plainBlock)
}


function plainBlock(block: JsonValue): PlainBlock {
  if (!isObject(block) || typeof block.type !== 'string') return asJson(block)
  switch (block.type) {
    case 'text':
      return { label: 'text', text: String(block.text ?? '') }
    case 'thinking':
      return { label: 'thinking', text: String(block.thinking ?? '') }
    case 'redacted_thinking':
      return { label: 'redacted thinking', text: '(encrypted by the API)' }
    case 'tool_use':
    case 'server_tool_use':
      return { label: `${block.type} · ${String(block.name ?? '')}`, text: exactJsonText(block.input ?? null) }
    case 'tool_result': {
      const text = plainContent(block.content ?? '').map((part) => part.text).join('\n')
      return { label: block.is_error === true ? 'tool_result · error' : 'tool_result', text }
    }
    default:
      return { label: block.type, text: exactJsonText(block) }
  }
}

function asJson(value: JsonValue): PlainBlock {
  return { label: 'json', text: exactJsonText(value) }
}

function isObject(value: JsonValue): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
