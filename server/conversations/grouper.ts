import { performance } from 'node:perf_hooks'
import type { CaptureOp } from '../records/capture-op'
import type { ConversationAssignment, ConversationIdentity, ConversationWrites, StoredThread, ThreadIdentity, ThreadKind, ThreadLink, ThreadMessage } from '../records/conversation-record'
import type { RequestRecord } from '../records/request-record'
import { idFromKey } from './message-key'
import { userPromptOf } from '../wire/user-prompt'
import { comparableText, titleOf } from './prompt-text'
import { shapeOf, sidePurposeOf, type MessageRef, type RequestShape } from './request-shape'

export interface GrouperOptions {
  /** Threads kept in memory for prefix matching; the least recently used go first. @default 5_000 */
  maxThreads?: number
  /** Assignments remembered by request id, so a batch written again is grouped the same. @default 20_000 */
  maxRequests?: number
}

export interface GrouperStats {
  /** Requests grouped since start. */
  grouped: number
  /** Milliseconds spent grouping since start (body layout excluded: storage does it anyway). */
  groupingMs: number
}

/** Tool names Claude Code spawns subagents with (Task, renamed Agent in later versions). */
const SPAWNING_TOOLS = new Set(['Task', 'Agent'])

interface ThreadState {
  identity: ThreadIdentity
  conversation: ConversationIdentity
  systemKey: string | null
  /** Message keys in order (see messageKeyOf). */
  keys: string[]
  /** Where the thread is indexed: its scope (session or none) and first message key. */
  indexKey: string | null
  /** Per position: the stored content id and the request that introduced it. */
  contentIds: string[]
  requestIds: string[]
  /** The subagent's first message as compared with Task prompts (SUBAGENT threads not yet linked). */
  firstText: string | null
}

interface ConversationState {
  identity: ConversationIdentity
  mainThreadId: string | null
  mainSystemKey: string | null
  hasTitle: boolean
  /** Task calls seen in this conversation: prompt → the thread and tool_use id that made it. */
  spawns: Map<string, { threadId: string; toolUseId: string }>
  /** SUBAGENT threads waiting for their Task call: comparable first text → thread id. */
  unlinked: Map<string, string>
  /** SIDE threads made before the conversation had a main thread, to link to it once it has. */
  orphanSides: Set<string>
}

/** What grouping needs of a turn besides its shape: a captured request, or a turn imported from a transcript. */
type TurnRef = Pick<RequestRecord, 'id' | 'startedAt'>

/** A turn read from a Claude Code transcript: its shape carries its history and the reply, the last message. */
export interface TranscriptTurn extends TurnRef {
  shape: RequestShape
}

/** The conversation id of a session: the same whether its traffic was captured or its transcript imported. */
export function sessionConversationId(sessionKey: string): string {
  return idFromKey(`session|${sessionKey}`)
}

/** The scope of threads of requests without a session: they only ever match each other. */
const NO_SESSION_SCOPE = 'no-session'

/**
 * Groups captured requests into conversations and threads, in the order the writer commits them
 * (a request's start before its completion, a parent's Task answer before its subagent's requests).
 *
 * A conversation is a session when the request names one (see sessionOf), else it is found from
 * history: a request whose messages extend a thread's belongs to that thread. Threads are looked
 * up by their session (or the absence of one) and first message, so two sessions never share a
 * thread, whatever their messages; the candidates' keys are then compared, no hashing involved.
 * Inside a conversation, side calls (count_tokens, quota checks, small-model titles) are told
 * apart first; an explicit agent id names its thread; otherwise the thread whose messages the
 * request's extend is found by its longest shared prefix, and a request that shares none starts a
 * thread: the MAIN one, a subagent matched to a Task call by its prompt, or a new MAIN one after
 * the history was replaced (same system prompt as the main agent's).
 *
 * State is in memory and bounded; after a restart, sessions keep their conversation (its id comes
 * from the session key) and threads start afresh.
 */
export class ConversationGrouper {
  readonly #maxThreads: number
  readonly #maxRequests: number
  readonly #threads = new Map<string, ThreadState>()
  readonly #conversations = new Map<string, ConversationState>()
  /** Scope and first message key → threads starting with that message there (several once a history forked). */
  readonly #byFirstMessage = new Map<string, Set<string>>()
  readonly #assigned = new Map<string, ConversationAssignment>()
  /** Task prompts of conversations without a session, for subagents that carry none either. */
  readonly #sessionlessSpawns = new Map<string, string>()
  readonly #stats: GrouperStats = { grouped: 0, groupingMs: 0 }
  /** Conversations (and sessionless first message keys) looked for in the store already, found or not, so each is read once. */
  readonly #looked = new Set<string>()
  readonly #shapes = new WeakMap<RequestRecord, RequestShape | null>()

  constructor(options: GrouperOptions = {}) {
    this.#maxThreads = options.maxThreads ?? 5_000
    this.#maxRequests = options.maxRequests ?? 20_000
  }

  get stats(): GrouperStats {
    return { ...this.#stats }
  }

  /**
   * What a batch writes about conversations: the assignment of each request not grouped in an
   * earlier batch, links found, and the conversations and threads whose totals change.
   */
  groupBatch(ops: readonly CaptureOp[], isStartStored: (id: string) => boolean): ConversationWrites | null {
    const started = performance.now()
    const writes: ConversationWrites = { assignments: [], links: [], touchedConversationIds: [] }
    const conversations = new Set<string>()
    for (const op of ops) {
      const record = op.record
      let assignment = this.#assigned.get(record.id)
      if (assignment === undefined || !(op.kind === 'complete' && isStartStored(record.id))) {
        assignment ??= this.#assign(record, this.#shapeOf(record), writes.links)
        if (assignment === undefined) continue
        writes.assignments.push(assignment)
      }
      if (op.kind === 'complete' && record.responseBody !== null) this.#noteSpawns(assignment, record.responseBody, writes.links)
      conversations.add(assignment.conversation.id)
    }
    writes.touchedConversationIds = [...conversations]
    this.#stats.groupingMs += performance.now() - started
    return writes.assignments.length === 0 && writes.links.length === 0 && conversations.size === 0 ? null : writes
  }

  /**
   * Groups turns read from transcripts, oldest first, as captured requests are grouped: a turn
   * whose history a stored thread already holds adds nothing to it, so a session seen through the
   * proxy and then imported stays one conversation with each message once. A turn's last message
   * is its reply (a transcript has no response body): it joins the thread, and any Task call in it
   * is noted for the subagent to come. Its session's stored threads must be `restore`d first.
   */
  groupTranscriptTurns(turns: readonly TranscriptTurn[]): ConversationWrites | null {
    const started = performance.now()
    const writes: ConversationWrites = { assignments: [], links: [], touchedConversationIds: [] }
    for (const turn of turns) {
      const assignment = this.#assign(turn, turn.shape, writes.links)
      if (assignment === undefined) continue
      // The reply is not a message the call sent.
      assignment.messageCount = Math.max(0, assignment.messageCount - 1)
      writes.assignments.push(assignment)
    }
    writes.touchedConversationIds = [...new Set(writes.assignments.map((a) => a.conversation.id))]
    this.#stats.groupingMs += performance.now() - started
    return writes.assignments.length === 0 ? null : writes
  }

  /**
   * What of the store a batch's requests may go on from, that this grouper has not met since it
   * started: the conversations of their sessions, and, for requests without a session, the first
   * message keys no thread in memory starts with (a sessionless conversation's threads are found by
   * their first message). Read the threads they name (`readConversationThreads`, after finding the
   * sessionless conversations by first message) and `restore` them before `groupBatch`, so a
   * conversation goes on in its threads after a restart.
   */
  storedToLoad(ops: readonly CaptureOp[], isStartStored: (id: string) => boolean): { conversationIds: string[]; firstMessageKeys: string[] } {
    const ids = new Set<string>()
    const keys = new Set<string>()
    for (const op of ops) {
      if (this.#assigned.has(op.record.id) || (op.kind === 'complete' && isStartStored(op.record.id))) continue
      const shape = this.#shapeOf(op.record)
      if (!shape) continue
      if (shape.session === null) {
        const first = shape.messages[0]?.key
        if (first !== undefined && !this.#byFirstMessage.has(`${NO_SESSION_SCOPE}|${first}`) && !this.#looked.has(`first|${first}`)) keys.add(first)
        continue
      }
      const id = sessionConversationId(shape.session.key)
      if (!this.#conversations.has(id) && !this.#looked.has(id)) ids.add(id)
    }
    return { conversationIds: [...ids], firstMessageKeys: [...keys] }
  }

  /** The stored threads of a session's conversation to read before `groupTranscriptTurns`, or null when this grouper has them. */
  sessionToLoad(sessionKey: string): string | null {
    const id = sessionConversationId(sessionKey)
    return this.#conversations.has(id) || this.#looked.has(id) ? null : id
  }

  /**
   * Takes back the threads stored before a restart (see storedToLoad), oldest first: `looked`
   * names the conversations and sessionless first message keys they were read for.
   */
  restore(threads: readonly StoredThread[], looked: { conversationIds: readonly string[]; firstMessageKeys?: readonly string[] }): void {
    if (this.#looked.size > this.#maxRequests) this.#looked.clear()
    for (const id of looked.conversationIds) this.#looked.add(id)
    for (const key of looked.firstMessageKeys ?? []) this.#looked.add(`first|${key}`)
    for (const stored of threads) {
      const conversation = this.#conversations.get(stored.conversation.id) ?? this.#newConversation(stored.conversation)
      if (stored.conversationHasTitle) conversation.hasTitle = true
      if (this.#threads.has(stored.thread.id)) continue
      const thread: ThreadState = {
        identity: { ...stored.thread },
        conversation: conversation.identity,
        systemKey: stored.thread.systemKey,
        keys: stored.messages.map((m) => m.key),
        indexKey: null,
        contentIds: stored.messages.map((m) => m.contentId),
        requestIds: stored.messages.map((m) => m.requestId),
        firstText: null,
      }
      // A gap (messages of a forked thread written by an older version) makes the thread unmatchable rather than wrong.
      if (stored.messages.some((m, i) => m.position !== i)) thread.keys = []
      if (stored.thread.kind === 'MAIN') {
        conversation.mainThreadId = stored.thread.id
        conversation.mainSystemKey = stored.thread.systemKey
      }
      this.#threads.set(thread.identity.id, thread)
      if (thread.keys.length > 0) this.#index(thread, `${conversation.identity.sessionKey === null ? NO_SESSION_SCOPE : conversation.identity.id}|${thread.keys[0]}`)
    }
    this.#evictThreads()
  }

  #shapeOf(record: RequestRecord): RequestShape | null {
    let shape = this.#shapes.get(record)
    if (shape === undefined) this.#shapes.set(record, (shape = shapeOf(record)))
    return shape
  }

  #assign(turn: TurnRef, shape: RequestShape | null, links: ThreadLink[]): ConversationAssignment | undefined {
    if (shape === null) return undefined
    this.#stats.grouped++
    const purpose = sidePurposeOf(shape)
    const assignment = purpose !== null ? this.#assignSide(turn, shape, purpose) : shape.agentId !== null ? this.#assignAgent(turn, shape, links) : this.#assignByPrefix(turn, shape, links)
    this.#remember(assignment)
    return assignment
  }

  /** A side call joins its session, or the conversation whose history it carries, or one of its own. */
  #assignSide(turn: TurnRef, shape: RequestShape, purpose: string): ConversationAssignment {
    let conversation = this.#sessionConversation(shape)
    if (conversation === null) {
      const match = this.#longestMatch(NO_SESSION_SCOPE, shape.messages)
      conversation = match ? this.#conversations.get(match.thread.conversation.id)! : this.#newConversation({ id: turn.id, sessionKey: null, sessionSource: 'PREFIX' })
    }
    const identity: ThreadIdentity = { id: idFromKey(`${conversation.identity.id}|side|${purpose}`), kind: 'SIDE', parentThreadId: conversation.mainThreadId, parentToolUseId: null, agentId: null, purpose, systemKey: shape.systemKey }
    if (conversation.mainThreadId === null) conversation.orphanSides.add(identity.id)
    return this.#assignment(turn, shape, conversation.identity, identity, [], null)
  }

  /** The client named the agent: its thread is that agent's, its parent the parent agent's (or the main thread). */
  #assignAgent(turn: TurnRef, shape: RequestShape, links: ThreadLink[]): ConversationAssignment {
    const conversation = this.#sessionConversation(shape) ?? this.#newConversation({ id: turn.id, sessionKey: null, sessionSource: 'PREFIX' })
    const conversationId = conversation.identity.id
    const threadId = idFromKey(`${conversationId}|agent|${shape.agentId}`)
    let thread = this.#threads.get(threadId)
    if (thread === undefined) {
      const isSubagent = shape.parentAgentId !== null
      const parentThreadId = isSubagent ? idFromKey(`${conversationId}|agent|${shape.parentAgentId}`) : null
      thread = this.#newThread(conversation, { id: threadId, kind: isSubagent ? 'SUBAGENT' : 'MAIN', parentThreadId, parentToolUseId: null, agentId: shape.agentId, purpose: null, systemKey: shape.systemKey }, shape, links)
      if (isSubagent) this.#linkBySpawn(conversation, thread, shape, links)
    }
    return this.#extend(turn, shape, thread, links)
  }

  #assignByPrefix(turn: TurnRef, shape: RequestShape, links: ThreadLink[]): ConversationAssignment {
    const session = this.#sessionConversation(shape)
    const match = this.#longestMatch(session?.identity.id ?? NO_SESSION_SCOPE, shape.messages)
    if (match !== null) {
      const { thread, length } = match
      if (length === thread.keys.length || length === shape.messages.length) return this.#extend(turn, shape, thread, links)
      // The history diverged from the thread's (an edited or rewound turn): a thread of its own,
      // sharing the messages before the divergence.
      const conversation = this.#conversations.get(thread.conversation.id)!
      const fork = this.#newThread(conversation, { ...thread.identity, id: turn.id }, shape, links)
      fork.keys = thread.keys.slice(0, length)
      this.#index(fork, thread.indexKey)
      fork.contentIds = thread.contentIds.slice(0, length)
      fork.requestIds = thread.requestIds.slice(0, length)
      const assignment = this.#extend(turn, shape, fork, links)
      assignment.newMessages.unshift(...fork.contentIds.slice(0, length).map((contentId, position) => ({ position, contentId, requestId: fork.requestIds[position]!, role: null, key: fork.keys[position]! })))
      return assignment
    }
    const conversation = session ?? this.#sessionlessSpawnConversation(shape) ?? this.#newConversation({ id: turn.id, sessionKey: null, sessionSource: 'PREFIX' })
    const thread = this.#newThread(conversation, this.#newThreadIdentity(conversation, shape, turn.id), shape, links)
    if (thread.identity.kind === 'SUBAGENT') this.#linkBySpawn(conversation, thread, shape, links)
    return this.#extend(turn, shape, thread, links)
  }

  /** MAIN when the conversation has none, or when the system prompt is the main agent's; otherwise a subagent. */
  #newThreadIdentity(conversation: ConversationState, shape: RequestShape, id: string): ThreadIdentity {
    const isMain =
      shape.sidechain !== null ? !shape.sidechain : conversation.mainThreadId === null || (shape.systemKey !== null && shape.systemKey === conversation.mainSystemKey && !this.#spawnFor(conversation, shape))
    return { id, kind: isMain ? 'MAIN' : 'SUBAGENT', parentThreadId: isMain ? null : conversation.mainThreadId, parentToolUseId: null, agentId: null, purpose: null, systemKey: shape.systemKey }
  }

  /** Adds the request's messages past `known` to the thread and makes its assignment. */
  #extend(turn: TurnRef, shape: RequestShape, thread: ThreadState, links: ThreadLink[]): ConversationAssignment {
    const newMessages: ThreadMessage[] = []
    const conversation = this.#conversations.get(thread.conversation.id)!
    const scope = thread.conversation.sessionKey === null ? NO_SESSION_SCOPE : thread.conversation.id
    let title: string | null = null
    if (shape.messages.length > thread.keys.length) {
      if (thread.keys.length === 0) this.#index(thread, `${scope}|${shape.messages[0]!.key}`)
      for (const message of shape.messages.slice(thread.keys.length)) {
        const position = thread.keys.length
        thread.keys.push(message.key)
        thread.contentIds.push(message.contentId)
        thread.requestIds.push(turn.id)
        const parsed = parseMessage(message)
        newMessages.push({ position, contentId: message.contentId, requestId: turn.id, role: parsed?.role ?? null, key: message.key })
        if (parsed === null) continue
        if (parsed.role === 'assistant') this.#noteSpawnsIn(conversation, thread, parsed.content, links)
        if (title === null && !conversation.hasTitle && thread.identity.kind === 'MAIN' && parsed.role === 'user') title = titleOf(userPromptOf(parsed.content))
      }
    }
    if (title !== null) conversation.hasTitle = true
    this.#touch(thread)
    return this.#assignment(turn, shape, thread.conversation, thread.identity, newMessages, title)
  }

  #assignment(turn: TurnRef, shape: RequestShape, conversation: ConversationIdentity, thread: ThreadIdentity, newMessages: ThreadMessage[], title: string | null): ConversationAssignment {
    return { requestId: turn.id, startedAt: turn.startedAt, conversation, thread: { ...thread }, messageCount: shape.messages.length, newMessages, title }
  }

  /**
   * The thread of the scope sharing the longest prefix with `messages` (at least their first
   * message); on a tie, the one the request extends or repeats whole, then the most recent.
   */
  #longestMatch(scope: string, messages: readonly MessageRef[]): { thread: ThreadState; length: number } | null {
    if (messages.length === 0) return null
    const candidates = this.#byFirstMessage.get(`${scope}|${messages[0]!.key}`)
    let best: { thread: ThreadState; length: number; isWhole: boolean } | null = null
    for (const id of candidates ?? []) {
      const thread = this.#threads.get(id)
      if (thread === undefined) continue
      const limit = Math.min(thread.keys.length, messages.length)
      let length = 0
      while (length < limit && thread.keys[length] === messages[length]!.key) length++
      const isWhole = length === thread.keys.length || length === messages.length
      if (best === null || length > best.length || (length === best.length && (isWhole || !best.isWhole))) best = { thread, length, isWhole }
    }
    return best === null || best.length === 0 ? null : best
  }

  #index(thread: ThreadState, indexKey: string | null): void {
    thread.indexKey = indexKey
    if (indexKey === null) return
    let threads = this.#byFirstMessage.get(indexKey)
    if (threads === undefined) this.#byFirstMessage.set(indexKey, (threads = new Set()))
    threads.add(thread.identity.id)
  }

  #sessionConversation(shape: RequestShape): ConversationState | null {
    if (shape.session === null) return null
    const id = sessionConversationId(shape.session.key)
    return this.#conversations.get(id) ?? this.#newConversation({ id, sessionKey: shape.session.key, sessionSource: shape.session.source })
  }

  /** A sessionless subagent's conversation: the one whose Task call carried its first message as prompt. */
  #sessionlessSpawnConversation(shape: RequestShape): ConversationState | null {
    const first = shape.messages[0]
    if (first === undefined) return null
    const text = comparableText(parseMessage(first)?.content)
    const conversationId = text === '' ? undefined : this.#sessionlessSpawns.get(text)
    return conversationId === undefined ? null : (this.#conversations.get(conversationId) ?? null)
  }

  #newConversation(identity: ConversationIdentity): ConversationState {
    const state: ConversationState = { identity, mainThreadId: null, mainSystemKey: null, hasTitle: false, spawns: new Map(), unlinked: new Map(), orphanSides: new Set() }
    this.#conversations.set(identity.id, state)
    return state
  }

  #newThread(conversation: ConversationState, identity: ThreadIdentity, shape: RequestShape, links: ThreadLink[]): ThreadState {
    const first = shape.messages[0]
    const thread: ThreadState = { identity, conversation: conversation.identity, systemKey: shape.systemKey, keys: [], indexKey: null, contentIds: [], requestIds: [], firstText: null }
    if (identity.kind === 'MAIN') {
      conversation.mainThreadId = identity.id
      conversation.mainSystemKey = shape.systemKey
      for (const side of conversation.orphanSides) links.push({ threadId: side, parentThreadId: identity.id, parentToolUseId: null })
      conversation.orphanSides.clear()
    } else if (identity.kind === 'SUBAGENT' && first !== undefined) {
      thread.firstText = comparableText(parseMessage(first)?.content)
    }
    this.#threads.set(identity.id, thread)
    this.#evictThreads()
    return thread
  }

  #spawnFor(conversation: ConversationState, shape: RequestShape): { threadId: string; toolUseId: string } | undefined {
    const first = shape.messages[0]
    if (first === undefined || conversation.spawns.size === 0) return undefined
    return findSpawn(conversation.spawns, comparableText(parseMessage(first)?.content))
  }

  /** Links a new subagent thread to the Task call whose prompt is its first message, or waits for that call. */
  #linkBySpawn(conversation: ConversationState, thread: ThreadState, shape: RequestShape, links: ThreadLink[]): void {
    const spawn = this.#spawnFor(conversation, shape)
    if (spawn !== undefined) {
      this.#link(thread, spawn.threadId, spawn.toolUseId, links)
    } else if (thread.firstText) {
      conversation.unlinked.set(thread.firstText, thread.identity.id)
    }
  }

  #link(thread: ThreadState, parentThreadId: string, toolUseId: string, links: ThreadLink[]): void {
    thread.identity.parentThreadId = parentThreadId
    thread.identity.parentToolUseId = toolUseId
    links.push({ threadId: thread.identity.id, parentThreadId, parentToolUseId: toolUseId })
  }

  /** Task calls in a response: remembered for the subagent to come, or linked to one already seen. */
  #noteSpawns(assignment: ConversationAssignment, responseBody: string, links: ThreadLink[]): void {
    if (assignment.thread.kind === 'SIDE' || !responseBody.includes('"tool_use"')) return
    const conversation = this.#conversations.get(assignment.conversation.id)
    const thread = this.#threads.get(assignment.thread.id)
    if (conversation === undefined || thread === undefined) return
    try {
      this.#noteSpawnsIn(conversation, thread, (JSON.parse(responseBody) as { content?: unknown }).content, links)
    } catch {
      // Not JSON (a failed exchange): no Task call to see.
    }
  }

  #noteSpawnsIn(conversation: ConversationState, thread: ThreadState, content: unknown, links: ThreadLink[]): void {
    if (!Array.isArray(content)) return
    for (const block of content as Array<{ type?: unknown; name?: unknown; id?: unknown; input?: { prompt?: unknown } }>) {
      if (block?.type !== 'tool_use' || !SPAWNING_TOOLS.has(block.name as string) || typeof block.id !== 'string' || typeof block.input?.prompt !== 'string') continue
      const prompt = block.input.prompt.replace(/\s+/g, ' ').trim()
      if (prompt === '') continue
      if (conversation.spawns.has(prompt)) continue
      conversation.spawns.set(prompt, { threadId: thread.identity.id, toolUseId: block.id })
      if (conversation.identity.sessionKey === null) this.#sessionlessSpawns.set(prompt, conversation.identity.id)
      for (const [firstText, childId] of conversation.unlinked) {
        if (firstText !== prompt && !firstText.includes(prompt)) continue
        const child = this.#threads.get(childId)
        conversation.unlinked.delete(firstText)
        if (child !== undefined && child.identity.parentToolUseId === null) this.#link(child, thread.identity.id, block.id, links)
        break
      }
    }
  }

  #remember(assignment: ConversationAssignment): void {
    this.#assigned.set(assignment.requestId, assignment)
    if (this.#assigned.size <= this.#maxRequests) return
    const oldest = this.#assigned.keys().next().value
    if (oldest !== undefined) this.#assigned.delete(oldest)
  }

  /** Marks a thread most recently used. */
  #touch(thread: ThreadState): void {
    this.#threads.delete(thread.identity.id)
    this.#threads.set(thread.identity.id, thread)
  }

  #evictThreads(): void {
    while (this.#threads.size > this.#maxThreads) {
      const [id, thread] = this.#threads.entries().next().value as [string, ThreadState]
      this.#threads.delete(id)
      const siblings = thread.indexKey === null ? undefined : this.#byFirstMessage.get(thread.indexKey)
      siblings?.delete(id)
      if (siblings?.size === 0) this.#byFirstMessage.delete(thread.indexKey!)
      const conversation = this.#conversations.get(thread.conversation.id)
      if (conversation !== undefined && [...this.#threads.values()].every((t) => t.conversation.id !== conversation.identity.id)) this.#conversations.delete(conversation.identity.id)
    }
  }
}

function findSpawn(spawns: ReadonlyMap<string, { threadId: string; toolUseId: string }>, firstText: string): { threadId: string; toolUseId: string } | undefined {
  if (firstText === '') return undefined
  const exact = spawns.get(firstText)
  if (exact !== undefined) return exact
  for (const [prompt, spawn] of spawns) if (firstText.includes(prompt)) return spawn
  return undefined
}

/** A message's role and content, or null when its bytes are not a JSON object. */
function parseMessage(message: MessageRef): { role: string | null; content: unknown } | null {
  try {
    const parsed = JSON.parse(message.bytes.toString('utf8')) as { role?: unknown; content?: unknown } | null
    if (parsed === null || typeof parsed !== 'object') return null
    return { role: typeof parsed.role === 'string' ? parsed.role : null, content: parsed.content }
  } catch {
    return null
  }
}

export type { ThreadKind }
