import type { CacheMiss, CacheMissReason, ConversationDetail, ConversationThread, ConversationTurn } from '../graphql/conversation-documents'
import type { JsonValue } from '../graphql/graphql'
import { contentBlocks, isBlock, isObject, stringField, type RequestMessage } from '../messages/content'
import { parseExactJson } from '../messages/exact-json'

/** One message of a thread, read from its stored text, with the request that first sent it. */
export interface ThreadEntry extends RequestMessage {
  position: number
  requestId: string
}

/** The messages one request added to its thread, beside that request's usage, cost and timing. */
export interface TurnGroup {
  /** 1-based place of the request among its thread's requests. */
  number: number
  turn: ConversationTurn | null
  requestId: string
  entries: ThreadEntry[]
  /** Why the request wrote to the cache what it could have read; null when it read all it could (or is not among the latest 200 requests). */
  cacheMiss: CacheMiss | null
}

/** A thread with the subagents it spawned, each under the Task call that started it. */
export interface ThreadNode {
  thread: ConversationThread
  groups: TurnGroup[]
  /** Subagents by the tool_use id of the Task call that spawned them. */
  spawned: ReadonlyMap<string, ThreadNode[]>
  /** Subagents of this thread whose Task call could not be told (or is not among its messages). */
  unplaced: ThreadNode[]
}

/** A conversation arranged for reading: the main thread as a tree, the side calls apart. */
export interface ConversationTree {
  /** Null when the conversation has no main thread (e.g. only side calls so far). */
  main: ThreadNode | null
  /** Subagents whose parent thread is unknown: under the main thread's unplaced ones, or here without a main thread. */
  orphans: ThreadNode[]
  /** Title generation, count_tokens, quota checks: each with its turns. */
  side: { thread: ConversationThread; turns: ConversationTurn[] }[]
}

/**
 * Arranges a conversation's threads for the thread view: every message once, in order, grouped
 * under the request that introduced it, and every subagent nested under the Task tool_use that
 * spawned it (recursively, as subagents may start their own).
 */
export function buildConversationTree(conversation: ConversationDetail): ConversationTree {
  const turnsByThread = groupBy(conversation.turns, (turn) => turn.threadId)
  const childrenOf = groupBy(
    conversation.threads.filter((thread) => thread.kind === 'SUBAGENT'),
    (thread) => thread.parentThreadId ?? '',
  )
  const placed = new Set<string>()
  const cacheMisses = new Map(conversation.requests.nodes.flatMap((request) => (request.cacheMiss ? [[request.id, request.cacheMiss] as const] : [])))

  const nodeOf = (thread: ConversationThread): ThreadNode => {
    placed.add(thread.id)
    const groups = turnGroups(thread, turnsByThread.get(thread.id) ?? [], cacheMisses)
    const callIds = new Set(groups.flatMap((group) => group.entries.flatMap(taskCallIds)))
    const spawned = new Map<string, ThreadNode[]>()
    const unplaced: ThreadNode[] = []
    for (const child of childrenOf.get(thread.id) ?? []) {
      if (placed.has(child.id)) continue
      const node = nodeOf(child)
      const callId = child.parentToolUseId
      if (callId !== null && callIds.has(callId)) spawned.set(callId, [...(spawned.get(callId) ?? []), node])
      else unplaced.push(node)
    }
    return { thread, groups, spawned, unplaced }
  }

  const mainThread = conversation.threads.find((thread) => thread.kind === 'MAIN') ?? null
  const main = mainThread ? nodeOf(mainThread) : null
  const orphans = conversation.threads.filter((thread) => thread.kind === 'SUBAGENT' && !placed.has(thread.id)).map(nodeOf)
  main?.unplaced.push(...orphans)
  const side = conversation.threads.filter((thread) => thread.kind === 'SIDE').map((thread) => ({ thread, turns: turnsByThread.get(thread.id) ?? [] }))
  return { main, orphans: main ? [] : orphans, side }
}

/** A stored message as role and blocks; text that is not a message object stays visible as one block. */
export function readThreadMessage(role: string | null, contentText: string | null): RequestMessage {
  const message: JsonValue = parseExactJson(contentText)
  if (!isObject(message)) return { role: role ?? 'unknown', blocks: contentText === null ? [] : [message] }
  return { role: role ?? stringField(message, 'role') ?? 'unknown', blocks: contentBlocks(message.content) }
}

/** The ids of the Task calls in a message: where subagents hang. */
export function taskCallIds(message: RequestMessage): string[] {
  return message.blocks.flatMap((block) => (isBlock(block) && block.type === 'tool_use' && stringField(block, 'name') === 'Task' ? [stringField(block, 'id') ?? ''] : [])).filter(Boolean)
}

/** Element id of a thread in the thread view, for links from the Task calls that spawned it. */
export function threadAnchor(threadId: string): string {
  return `thread-${threadId}`
}

/**
 * The thread's requests in order, each with the messages it introduced. A request that added no
 * message (a retry, a repeated turn) still has its group, so its cost is not hidden.
 */
function turnGroups(thread: ConversationThread, turns: readonly ConversationTurn[], cacheMisses: ReadonlyMap<string, CacheMiss>): TurnGroup[] {
  const entriesByRequest = groupBy(
    thread.messages.map((message): ThreadEntry => ({ ...readThreadMessage(message.role, message.contentText), position: message.position, requestId: message.requestId })),
    (entry) => entry.requestId,
  )
  const groups: TurnGroup[] = turns.map((turn, index) => ({ number: index + 1, turn, requestId: turn.requestId, entries: entriesByRequest.get(turn.requestId) ?? [], cacheMiss: cacheMisses.get(turn.requestId) ?? null }))
  // Messages from a request the turn list does not hold (e.g. pruned) still show, in their place.
  const known = new Set(turns.map((turn) => turn.requestId))
  for (const [requestId, entries] of entriesByRequest) {
    if (known.has(requestId)) continue
    const before = groups.findIndex((group) => (group.entries[0]?.position ?? -1) > entries[0]!.position)
    groups.splice(before === -1 ? groups.length : before, 0, { number: 0, turn: null, requestId, entries, cacheMiss: cacheMisses.get(requestId) ?? null })
  }
  return groups
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>()
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item])
  return groups
}

/** What a set of turns cost; null when none of them is priced. */
export function turnsCost(turns: readonly ConversationTurn[]): number | null {
  const priced = turns.flatMap((turn) => (turn.costUsd === null ? [] : [turn.costUsd]))
  return priced.length === 0 ? null : priced.reduce((sum, cost) => sum + cost, 0)
}

/** A short form of a request id for links: its last 8 characters (UUIDv7s share their start). */
export function shortRequestId(requestId: string): string {
  return requestId.slice(-8)
}

/** Why a turn missed the prompt cache, in words. */
export const CACHE_MISS_REASONS: Record<CacheMissReason, string> = {
  FIRST_TURN: 'first turn',
  MODEL_CHANGED: 'model changed',
  TTL_EXPIRED: 'cache expired',
  TOOLS_CHANGED: 'tools changed',
  SYSTEM_CHANGED: 'system prompt changed',
  MESSAGES_EDITED: 'history edited',
  UNEXPLAINED: 'unexplained',
}
