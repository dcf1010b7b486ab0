/**
 * What grouping derives from captured requests, handed to the store in the batch that writes the
 * requests themselves: which conversation and thread each request belongs to, the messages it
 * added to its thread, and links found later between a subagent's thread and the tool call that
 * spawned it. Computed in the writer, never on the forwarding path (see conversations/grouper).
 */

/** MAIN: the agent the user talks to; SUBAGENT: a Task tool's own agent; SIDE: calls beside them (titles, token counts, quota checks). */
export type ThreadKind = 'MAIN' | 'SUBAGENT' | 'SIDE'

export interface ConversationIdentity {
  id: string
  /** The session key, or null when the conversation was found by message history alone. */
  sessionKey: string | null
  /** HEADER, METADATA, EXPLICIT or PREFIX (see conversations/session-key). */
  sessionSource: string
}

export interface ThreadIdentity {
  id: string
  kind: ThreadKind
  parentThreadId: string | null
  /** The `tool_use` id of the Task call in the parent thread that spawned this one. */
  parentToolUseId: string | null
  /** The agent id the client sent (x-claude-code-agent-id), when it did. */
  agentId: string | null
  /** For SIDE threads: count_tokens, quota or small_model. */
  purpose: string | null
  /** Hash of the system prompt it started with: a new history under the main agent's prompt is the main agent again. */
  systemKey: string | null
}

/** One message of a thread, stored once: its position, its content (see store/contents) and the request that first sent it. */
export interface ThreadMessage {
  position: number
  contentId: string
  requestId: string
  role: string | null
  /** The message's identity in its thread, cache_control aside (see conversations/message-key). */
  key: string
}

/** A stored thread as grouping needs it to go on after a restart. */
export interface StoredThread {
  conversation: ConversationIdentity
  conversationHasTitle: boolean
  thread: ThreadIdentity
  startedAt: Date
  messages: ThreadMessage[]
}

export interface ConversationAssignment {
  requestId: string
  startedAt: Date
  conversation: ConversationIdentity
  thread: ThreadIdentity
  /** Messages the request carried. */
  messageCount: number
  /** Messages the request added to its thread (none for SIDE threads). */
  newMessages: ThreadMessage[]
  /** The first real user prompt found in this request, when it is the conversation's MAIN thread's. */
  title: string | null
}

export interface ThreadLink {
  threadId: string
  parentThreadId: string
  /** Null for side threads, whose parent is the main thread they came before. */
  parentToolUseId: string | null
}

/** Everything one batch writes about conversations. */
export interface ConversationWrites {
  assignments: ConversationAssignment[]
  links: ThreadLink[]
  /** Conversations the batch adds turns to or whose turns it changes: who is told of the change once it is stored. */
  touchedConversationIds: string[]
}
