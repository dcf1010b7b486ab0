/**
 * An Anthropic Messages request rewritten as an OpenAI Chat Completions request, for a model the
 * configuration routes to an OpenAI-compatible provider.
 *
 * The body is parsed with lossless-json and written back with it: every number keeps its exact
 * text, so an integer above 2^53 in a tool input of the history (or in a tool schema) reaches the
 * provider unchanged, and a tool input becomes the `arguments` string byte for byte as its JSON.
 * Nothing here throws on a body that is JSON but not a well-formed request: members of the wrong
 * shape are left out and the provider says what it misses.
 */
import { LosslessNumber, parse as parseLossless, stringify as stringifyLossless } from 'lossless-json'
import { isJsonObject, type JsonObject } from '../json-object'

/** The translated request. */
export interface ChatRequest {
  /** JSON text of the Chat Completions request. */
  body: string
  /** The client asked for a stream (and the provider is asked for one, with usage in its last chunk). */
  stream: boolean
}

/** Why a request could not be translated: the body is not a JSON object. */
export class ChatRequestError extends Error {
  readonly code = 'REQUEST_NOT_TRANSLATABLE'
}

/** Every number as its exact text: the request is only rewritten, never computed with. */
const exactNumber = (text: string): LosslessNumber => new LosslessNumber(text)

/**
 * Translates an Anthropic Messages request body to a Chat Completions request for `model`.
 * Throws ChatRequestError when the body is not a JSON object.
 */
export function toChatRequest(anthropicBody: string, model: string): ChatRequest {
  let parsed: unknown
  try {
    parsed = parseLossless(anthropicBody, null, exactNumber)
  } catch (cause) {
    throw new ChatRequestError(`the request body is not JSON: ${(cause as Error).message}`, { cause })
  }
  if (!isJsonObject(parsed)) throw new ChatRequestError('the request body is not a JSON object')
  const request = parsed
  const stream = request.stream === true
  const chat: JsonObject = { model, messages: [...systemMessages(request.system), ...conversationMessages(request.messages)] }
  if (request.max_tokens !== undefined) chat.max_completion_tokens = request.max_tokens
  if (request.temperature !== undefined) chat.temperature = request.temperature
  if (request.top_p !== undefined) chat.top_p = request.top_p
  if (Array.isArray(request.stop_sequences) && request.stop_sequences.length > 0) chat.stop = request.stop_sequences
  const tools = Array.isArray(request.tools) ? request.tools.flatMap(toFunctionTool) : []
  if (tools.length > 0) {
    chat.tools = tools
    const choice = toToolChoice(request.tool_choice)
    if (choice !== undefined) chat.tool_choice = choice
    if (isJsonObject(request.tool_choice) && request.tool_choice.disable_parallel_tool_use === true) chat.parallel_tool_calls = false
  }
  if (stream) {
    chat.stream = true
    // Without it the provider reports no usage at all for a stream.
    chat.stream_options = { include_usage: true }
  }
  return { body: stringifyLossless(chat) ?? '{}', stream }
}

/** Anthropic's `system` (a string or text blocks) as one leading system message; its blocks joined by blank lines. */
function systemMessages(system: unknown): JsonObject[] {
  if (typeof system === 'string') return system === '' ? [] : [{ role: 'system', content: system }]
  if (!Array.isArray(system)) return []
  const text = system.flatMap((block) => (isJsonObject(block) && typeof block.text === 'string' ? [block.text] : [])).join('\n\n')
  return text === '' ? [] : [{ role: 'system', content: text }]
}

function conversationMessages(messages: unknown): JsonObject[] {
  if (!Array.isArray(messages)) return []
  return messages.flatMap((message) => {
    if (!isJsonObject(message)) return []
    if (message.role === 'assistant') return [assistantMessage(message.content)]
    return userMessages(message.content)
  })
}

/**
 * An assistant turn: its text as `content`, its tool_use blocks as `tool_calls` whose arguments
 * are the inputs' exact JSON. Thinking blocks are left out: no Chat Completions model can take
 * them back, and their signatures are meaningless to it.
 */
function assistantMessage(content: unknown): JsonObject {
  if (typeof content === 'string') return { role: 'assistant', content }
  const blocks = Array.isArray(content) ? content.filter(isJsonObject) : []
  const text = blocks.flatMap((block) => (block.type === 'text' && typeof block.text === 'string' ? [block.text] : [])).join('\n')
  const toolCalls = blocks
    .filter((block) => block.type === 'tool_use' || block.type === 'server_tool_use')
    .map((block) => ({
      id: block.id,
      type: 'function',
      function: { name: block.name, arguments: stringifyLossless(block.input ?? {}) ?? '{}' },
    }))
  const message: JsonObject = { role: 'assistant', content: text === '' && toolCalls.length > 0 ? null : text }
  if (toolCalls.length > 0) message.tool_calls = toolCalls
  return message
}

/**
 * A user turn. Its tool_result blocks become `tool` messages first: Chat Completions wants them
 * right after the assistant message that made the calls. The rest (text, images, and the images
 * of tool results, which a tool message cannot hold) follow as one user message.
 */
function userMessages(content: unknown): JsonObject[] {
  if (typeof content === 'string') return [{ role: 'user', content }]
  if (!Array.isArray(content)) return []
  const toolMessages: JsonObject[] = []
  const parts: JsonObject[] = []
  for (const block of content) {
    if (!isJsonObject(block)) continue
    if (block.type === 'tool_result') {
      const result = toolResultParts(block.content)
      parts.push(...result.images)
      // Chat Completions has no error flag on a tool message: the text says it.
      const text = block.is_error === true ? `Error: ${result.text}` : result.text
      toolMessages.push({ role: 'tool', tool_call_id: block.tool_use_id, content: text })
      continue
    }
    const part = userPart(block)
    if (part !== null) parts.push(part)
  }
  if (parts.length === 0) return toolMessages
  return [...toolMessages, { role: 'user', content: parts }]
}

/** A text or image block as a content part; null for blocks Chat Completions cannot take (documents, thinking). */
function userPart(block: JsonObject): JsonObject | null {
  if (block.type === 'text' && typeof block.text === 'string') return { type: 'text', text: block.text }
  if (block.type === 'image') return imagePart(block.source)
  return null
}

/** An image source (base64 or URL) as an `image_url` part; base64 data travels as a data: URL. */
function imagePart(source: unknown): JsonObject | null {
  if (!isJsonObject(source)) return null
  if (source.type === 'base64' && typeof source.data === 'string') {
    const mediaType = typeof source.media_type === 'string' ? source.media_type : 'image/png'
    return { type: 'image_url', image_url: { url: `data:${mediaType};base64,${source.data}` } }
  }
  if (source.type === 'url' && typeof source.url === 'string') return { type: 'image_url', image_url: { url: source.url } }
  return null
}

/** A tool result's content (a string or blocks) as the tool message's text, and its images apart. */
function toolResultParts(content: unknown): { text: string; images: JsonObject[] } {
  if (typeof content === 'string') return { text: content, images: [] }
  if (!Array.isArray(content)) return { text: '', images: [] }
  const texts: string[] = []
  const images: JsonObject[] = []
  for (const block of content) {
    if (!isJsonObject(block)) continue
    if (block.type === 'text' && typeof block.text === 'string') texts.push(block.text)
    else if (block.type === 'image') {
      const image = imagePart(block.source)
      if (image !== null) images.push(image)
    }
  }
  return { text: texts.join('\n'), images }
}

/** A client tool as a function; server tools (web search and the like, without input_schema) cannot run elsewhere and are left out. */
function toFunctionTool(tool: unknown): JsonObject[] {
  if (!isJsonObject(tool) || typeof tool.name !== 'string' || !isJsonObject(tool.input_schema)) return []
  const fn: JsonObject = { name: tool.name }
  if (typeof tool.description === 'string') fn.description = tool.description
  fn.parameters = tool.input_schema
  return [{ type: 'function', function: fn }]
}

/** auto → auto, any → required, none → none, tool → that function; anything else is left to the provider's default. */
function toToolChoice(choice: unknown): JsonObject | string | undefined {
  if (!isJsonObject(choice)) return undefined
  switch (choice.type) {
    case 'auto':
      return 'auto'
    case 'any':
      return 'required'
    case 'none':
      return 'none'
    case 'tool':
      return typeof choice.name === 'string' ? { type: 'function', function: { name: choice.name } } : undefined
    default:
      return undefined
  }
}
