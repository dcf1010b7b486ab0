import type { JsonValue } from '../graphql/graphql'

/**
 * Recorded Messages API content, read defensively: bodies come from clients and upstreams we do
 * not control, so every field is checked before use and anything unexpected stays JSON.
 */
export type JsonObject = { [key: string]: JsonValue }

/** One content block: an object with a string `type`; the rest of its fields are unchecked. */
export type ContentBlock = JsonObject & { type: string }

/** One message of the conversation a request carries. */
export interface RequestMessage {
  role: string
  blocks: JsonValue[]
}

/** One tool the client offered the model: a client tool (name, description, schema) or a server tool (type). */
export interface OfferedTool {
  name: string
  /** `custom` for client tools, else the server tool's versioned type (`web_search_20250305`). */
  type: string
  description: string | null
  inputSchema: JsonValue | undefined
}

/** The parts of a Messages API request body a reader looks for. */
export interface RequestParts {
  system: JsonValue[]
  tools: OfferedTool[]
  messages: RequestMessage[]
}

export function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function isBlock(value: JsonValue | undefined): value is ContentBlock {
  return isObject(value) && typeof value.type === 'string'
}

/** A string field, or null when it is missing or not a string. */
export function stringField(object: JsonObject, key: string): string | null {
  const value = object[key]
  return typeof value === 'string' ? value : null
}

/** A number field (integers beyond 2^53 arrive as bigint), or null. */
export function numberField(object: JsonObject, key: string): number | bigint | null {
  const value = object[key]
  return typeof value === 'number' || typeof value === 'bigint' ? value : null
}

/** Content as the API allows it: a string (one text block) or a list of blocks. */
export function contentBlocks(content: JsonValue | undefined): JsonValue[] {
  if (content === undefined || content === null) return []
  if (typeof content === 'string') return [{ type: 'text', text: content }]
  return Array.isArray(content) ? content : [content]
}

/** A Messages request's system prompt, tools and messages; null when the body has no `messages` list. */
export function requestParts(body: JsonValue): RequestParts | null {
  if (!isObject(body) || !Array.isArray(body.messages)) return null
  return {
    system: contentBlocks(body.system),
    tools: Array.isArray(body.tools) ? body.tools.flatMap((tool) => (isObject(tool) ? [offeredTool(tool)] : [])) : [],
    messages: body.messages.map((message) =>
      isObject(message) ? { role: String(stringField(message, 'role') ?? 'unknown'), blocks: contentBlocks(message.content) } : { role: 'unknown', blocks: [message] },
    ),
  }
}

/** A Message response's content blocks; null when the body has no `content` list (errors, other endpoints). */
export function responseBlocks(body: JsonValue): JsonValue[] | null {
  return isObject(body) && Array.isArray(body.content) ? body.content : null
}

function offeredTool(tool: JsonObject): OfferedTool {
  return {
    name: stringField(tool, 'name') ?? '(unnamed)',
    type: stringField(tool, 'type') ?? 'custom',
    description: stringField(tool, 'description'),
    inputSchema: tool.input_schema,
  }
}
