import { requestBodyParameter } from '../records/request-body'
import type { RequestRecord } from '../records/request-record'
import { storedBodyOf } from '../store/contents/stored-body'
import { hashKey, messageKeyOf } from './message-key'
import { headerValue, sessionOf, AGENT_ID_HEADER, PARENT_AGENT_ID_HEADER, type SessionSignal } from './session-key'

/** One message of a request body, as grouping sees it. */
export interface MessageRef {
  /** Its content id: the part stored once in `contents`. */
  contentId: string
  /** Its identity in a thread, `cache_control` aside (see messageKeyOf). */
  key: string
  /** Its bytes, a view into the body, parsed only when grouping needs what it says. */
  bytes: Buffer
}

/** What grouping reads of a request: its signals and its messages, taken from the layout storage made anyway. */
export interface RequestShape {
  session: SessionSignal | null
  agentId: string | null
  parentAgentId: string | null
  isCountTokens: boolean
  /** `max_tokens` when it is a number. */
  maxTokens: number | null
  hasTools: boolean
  model: string | null
  /** Hash of the system prompt, `cache_control` aside; null without one. */
  systemKey: string | null
  messages: MessageRef[]
  /** Whether it is a subagent's, when a transcript says so (isSidechain); null for captured requests, whose thread kind is found from history. */
  sidechain: boolean | null
}

const SMALL_MODEL = /haiku/i

/**
 * The shape of a request to /v1/messages (or count_tokens); null for any other exchange and for a
 * body that is not a JSON object with a `messages` array.
 */
export function shapeOf(record: RequestRecord): RequestShape | null {
  if (record.method !== 'POST' || !/\/v1\/messages(\/count_tokens)?$/.test(record.path) || !record.requestBodyIsJson) return null
  const stored = storedBodyOf(record)
  const messagesMember = stored.members.find((member) => member.key === 'messages')
  if (messagesMember === undefined || messagesMember.elements === null) return null
  const param = requestBodyParameter(record)
  const body = typeof param === 'string' ? Buffer.from(param) : param
  const valueOf = (key: string): Buffer | null => {
    const member = stored.members.find((m) => m.key === key)
    return member === undefined ? null : body.subarray(member.valueStart, member.valueEnd)
  }
  const messages: MessageRef[] = []
  const systemParts: string[] = []
  for (const part of stored.parts) {
    if (part.member === 'messages') messages.push({ contentId: part.id, key: messageKeyOf(part.bytes, part.id), bytes: part.bytes })
    else if (part.member === 'system') systemParts.push(messageKeyOf(part.bytes, part.id))
  }
  const systemValue = valueOf('system')
  const systemKey = systemParts.length > 0 ? hashKey(systemParts.join('|')) : systemValue !== null && systemValue[0] === 0x22 ? hashKey(systemValue.toString('utf8')) : null
  const tools = stored.members.find((m) => m.key === 'tools')
  const maxTokens = Number(valueOf('max_tokens')?.toString('latin1'))
  return {
    session: sessionOf(record.requestHeaders, metadataUserId(valueOf('metadata'))),
    agentId: headerValue(record.requestHeaders, AGENT_ID_HEADER),
    parentAgentId: headerValue(record.requestHeaders, PARENT_AGENT_ID_HEADER),
    isCountTokens: record.path.endsWith('/count_tokens'),
    maxTokens: Number.isFinite(maxTokens) ? maxTokens : null,
    hasTools: tools?.elements != null && tools.elements.length > 0,
    model: record.model,
    systemKey,
    messages,
    sidechain: null,
  }
}

/** `metadata.user_id`, read from the member's bytes (small: the body's other members are not parsed). */
function metadataUserId(metadata: Buffer | null): unknown {
  if (metadata === null || metadata.length > 4096) return undefined
  try {
    return (JSON.parse(metadata.toString('utf8')) as { user_id?: unknown } | null)?.user_id
  } catch {
    return undefined
  }
}

/** Why a request is a side call, or null when it takes part in a thread. */
export function sidePurposeOf(shape: RequestShape): string | null {
  if (shape.isCountTokens) return 'count_tokens'
  if (shape.maxTokens === 1) return 'quota'
  // Title and topic generation: one prompt to a small model with no tools.
  if (!shape.hasTools && shape.messages.length <= 1 && shape.model !== null && SMALL_MODEL.test(shape.model)) return 'small_model'
  if (shape.messages.length === 0) return 'empty'
  return null
}
