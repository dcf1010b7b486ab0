import type { UsageRecord } from '../../records/request-record'
import { contentIdOf } from '../../store/contents/content-id'
import type { TranscriptTurn } from '../grouper'
import { idFromKey, messageKeyOf } from '../message-key'
import type { MessageRef } from '../request-shape'
import type { TranscriptEntry } from './transcript-entries'

/** One API call Claude Code recorded in a transcript, ready to group and store. */
export interface ImportedTurn extends TranscriptTurn {
  sessionId: string
  completedAt: Date | null
  model: string | null
  stopReason: string | null
  messageId: string | null
  /** The API's request-id (`req_...`): the same call captured by the proxy carries it too. */
  upstreamRequestId: string | null
  usage: UsageRecord | null
  file: string
  line: number
}

export interface TurnProblem {
  file: string
  line: number
  reason: string
}

/** Model Claude Code names the messages it makes up itself (interruptions, API errors): never an API call. */
const SYNTHETIC_MODEL = '<synthetic>'

/**
 * The API calls of one session's transcript entries (the main file's and its subagents'), oldest
 * first. Each assistant message (its lines share a `message.id`) is one call; what the call sent
 * is the chain of messages before it, followed by `parentUuid` to the root, as Claude Code sends
 * it: consecutive lines of one role make one message (an assistant message's blocks, the tool
 * results of parallel calls). The call's messages are that history and then its reply, each as
 * `{"role":...,"content":...}`: the bytes a request carries, so a message already captured by the
 * proxy has the same key (see message-key) and is not stored twice.
 */
export function turnsOfSession(entries: readonly TranscriptEntry[]): { turns: ImportedTurn[]; problems: TurnProblem[] } {
  const byUuid = new Map<string, TranscriptEntry>()
  for (const entry of entries) if (!byUuid.has(entry.uuid)) byUuid.set(entry.uuid, entry)
  const groupOf = (entry: TranscriptEntry): string => (entry.type === 'assistant' ? `a|${entry.messageId ?? entry.uuid}` : `u|${entry.uuid}`)
  const groups = new Map<string, TranscriptEntry[]>()
  for (const entry of byUuid.values()) {
    if (entry.type !== 'assistant' || entry.model === SYNTHETIC_MODEL) continue
    const key = groupOf(entry)
    const group = groups.get(key)
    if (group === undefined) groups.set(key, [entry])
    else group.push(entry)
  }
  const cache = new Map<string, MessageRef>()
  const turns: ImportedTurn[] = []
  const problems: TurnProblem[] = []
  for (const group of groups.values()) {
    const first = group.find((entry) => entry.parentUuid === null || !group.some((other) => other.uuid === entry.parentUuid)) ?? group[0]!
    const history = chainBefore(first, byUuid, problems)
    if (history === null) continue
    const parent = history.at(-1)
    const startedAt = parent?.timestamp ?? first.timestamp ?? group.find((e) => e.timestamp !== null)?.timestamp ?? null
    if (startedAt === null) {
      problems.push({ file: first.file, line: first.line, reason: 'an assistant message without a timestamp: not imported' })
      continue
    }
    const messages = [...mergedMessages(history), mergedMessage(orderedGroup(group, first))].map((message) => refOf(message, cache))
    const last = group.reduce((a, b) => ((b.usage?.outputTokens ?? -1) > (a.usage?.outputTokens ?? -1) ? b : a))
    const completedAt = group.reduce<Date | null>((latest, e) => (e.timestamp !== null && (latest === null || e.timestamp > latest) ? e.timestamp : latest), null)
    turns.push({
      id: idFromKey(`transcript|${first.sessionId}|${first.messageId ?? first.uuid}`),
      sessionId: first.sessionId,
      startedAt,
      completedAt,
      model: first.model,
      stopReason: group.map((e) => e.stopReason).find((reason) => reason !== null) ?? null,
      messageId: first.messageId,
      upstreamRequestId: first.requestId,
      usage: last.usage,
      file: first.file,
      line: first.line,
      shape: {
        session: { key: first.sessionId, source: 'TRANSCRIPT' },
        agentId: null,
        parentAgentId: null,
        isCountTokens: false,
        maxTokens: null,
        // A transcript keeps no tools list; Claude Code's calls always send one.
        hasTools: true,
        model: first.model,
        systemKey: null,
        messages,
        sidechain: first.isSidechain,
      },
    })
  }
  turns.sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime() || a.file.localeCompare(b.file) || a.line - b.line)
  return { turns, problems }
}

/** The message entries before `entry`, root first; null (and a problem) when the chain loops. */
function chainBefore(entry: TranscriptEntry, byUuid: ReadonlyMap<string, TranscriptEntry>, problems: TurnProblem[]): TranscriptEntry[] | null {
  const chain: TranscriptEntry[] = []
  const seen = new Set<string>([entry.uuid])
  for (let uuid = entry.parentUuid; uuid !== null; ) {
    if (seen.has(uuid)) {
      problems.push({ file: entry.file, line: entry.line, reason: 'its parentUuid chain loops: not imported' })
      return null
    }
    seen.add(uuid)
    const parent = byUuid.get(uuid)
    if (parent === undefined) break
    if (parent.type !== 'other' && parent.model !== SYNTHETIC_MODEL) chain.push(parent)
    uuid = parent.parentUuid
  }
  return chain.reverse()
}

/** An assistant message's lines in chain order, from its first. */
function orderedGroup(group: readonly TranscriptEntry[], first: TranscriptEntry): TranscriptEntry[] {
  const ordered = [first]
  const rest = group.filter((e) => e !== first)
  while (rest.length > 0) {
    const next = rest.findIndex((e) => e.parentUuid === ordered.at(-1)!.uuid)
    ordered.push(...rest.splice(next === -1 ? 0 : next, 1))
  }
  return ordered
}

interface Merged {
  role: 'user' | 'assistant'
  entries: TranscriptEntry[]
}

/** Consecutive lines of one role as the API messages they were sent as. */
function mergedMessages(chain: readonly TranscriptEntry[]): Merged[] {
  const messages: Merged[] = []
  for (const entry of chain) {
    const previous = messages.at(-1)
    const sameMessage = previous !== undefined && previous.role === entry.role && (entry.role === 'user' || previous.entries[0]!.messageId === entry.messageId)
    if (sameMessage) previous.entries.push(entry)
    else messages.push(mergedMessage([entry]))
  }
  return messages
}

function mergedMessage(entries: TranscriptEntry[]): Merged {
  return { role: entries[0]!.role!, entries }
}

/** A message's bytes and identity, computed once per run of lines however many turns resend it. */
function refOf(message: Merged, cache: Map<string, MessageRef>): MessageRef {
  const cacheKey = message.entries.map((e) => e.uuid).join('|')
  let ref = cache.get(cacheKey)
  if (ref === undefined) {
    const content = message.entries.length === 1 ? message.entries[0]!.content : message.entries.flatMap((e) => (typeof e.content === 'string' ? [{ type: 'text', text: e.content }] : (e.content as unknown[])))
    const bytes = Buffer.from(JSON.stringify({ role: message.role, content }))
    const contentId = contentIdOf(bytes)
    ref = { contentId, key: messageKeyOf(bytes, contentId), bytes }
    cache.set(cacheKey, ref)
  }
  return ref
}
