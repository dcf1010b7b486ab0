/**
 * One line of a Claude Code transcript (`~/.claude/projects/<project>/<session>.jsonl`, and
 * `<session>/subagents/agent-<id>.jsonl` beside it in later versions), as import reads it. Lines
 * are JSON objects; `user` and `assistant` lines carry a message of the conversation and link to
 * the line before them by `parentUuid`. Claude Code writes an assistant message one content block
 * per line, each line with the same `message.id` (and `requestId`, the API's request-id). Other
 * lines (summary, system, file-history-snapshot, progress, ...) are understood and skipped, but
 * keep their `uuid` so a chain passing through them is followed.
 */
import { isJsonObject } from '../../wire/json-object'
import { toUsageRecord, type RawUsage, type UsageRecord } from '../../wire/usage'

export interface TranscriptEntry {
  uuid: string
  parentUuid: string | null
  sessionId: string
  /** user or assistant; `other` for the lines that are no message (kept for their links). */
  type: 'user' | 'assistant' | 'other'
  isSidechain: boolean
  agentId: string | null
  timestamp: Date | null
  role: 'user' | 'assistant' | null
  content: unknown
  /** Assistant lines: the API message id, model, stop reason, request id and usage. */
  messageId: string | null
  model: string | null
  stopReason: string | null
  requestId: string | null
  usage: UsageRecord | null
  /** Where it was read: the file relative to the imported directory, and the 1-based line. */
  file: string
  line: number
}

export type LineReading = { entry: TranscriptEntry } | { skipped: true } | { error: string }

/** Lines of these types are messages; anything else with a uuid is a link in a chain only. */
const MESSAGE_TYPES = new Set(['user', 'assistant'])

const str = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null)

/** Reads one line: an entry, a line that is understood but holds nothing to import, or why it cannot be read. */
export function readTranscriptLine(text: string, file: string, line: number): LineReading {
  if (text.trim() === '') return { skipped: true }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    return { error: `not JSON (${(err as Error).message})` }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { error: 'not a JSON object' }
  const raw = parsed as Record<string, unknown>
  const type = raw.type
  if (typeof type !== 'string') return { error: 'no "type"' }
  const uuid = str(raw.uuid)
  if (!MESSAGE_TYPES.has(type)) {
    // summary, system, snapshots, progress: nothing to import; a uuid keeps the chain through it.
    const sessionId = str(raw.sessionId)
    if (uuid === null || sessionId === null) return { skipped: true }
    return { entry: { ...blankEntry(file, line), uuid, parentUuid: str(raw.parentUuid), sessionId, type: 'other' } }
  }
  if (uuid === null) return { error: `a ${type} line without "uuid"` }
  const sessionId = str(raw.sessionId)
  if (sessionId === null) return { error: `a ${type} line without "sessionId"` }
  const message = raw.message
  if (message === null || typeof message !== 'object' || Array.isArray(message)) return { error: `a ${type} line without a "message" object` }
  const m = message as Record<string, unknown>
  const role = m.role === 'user' || m.role === 'assistant' ? m.role : null
  if (role === null || role !== type) return { error: `a ${type} line whose message role is ${JSON.stringify(m.role)}` }
  if (typeof m.content !== 'string' && !Array.isArray(m.content)) return { error: `a ${type} line whose message has no content` }
  const timestamp = typeof raw.timestamp === 'string' ? new Date(raw.timestamp) : null
  return {
    entry: {
      uuid,
      parentUuid: str(raw.parentUuid),
      sessionId,
      type: role,
      isSidechain: raw.isSidechain === true,
      agentId: str(raw.agentId),
      timestamp: timestamp !== null && !Number.isNaN(timestamp.getTime()) ? timestamp : null,
      role,
      content: m.content,
      messageId: role === 'assistant' ? str(m.id) : null,
      model: role === 'assistant' ? str(m.model) : null,
      stopReason: role === 'assistant' ? str(m.stop_reason) : null,
      requestId: role === 'assistant' ? str(raw.requestId) : null,
      usage: role === 'assistant' && isJsonObject(m.usage) ? toUsageRecord(m.usage as RawUsage) : null,
      file,
      line,
    },
  }
}

function blankEntry(file: string, line: number): Omit<TranscriptEntry, 'uuid' | 'parentUuid' | 'sessionId' | 'type'> {
  return { isSidechain: false, agentId: null, timestamp: null, role: null, content: null, messageId: null, model: null, stopReason: null, requestId: null, usage: null, file, line }
}
