import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ConversationGrouper } from '../../server/conversations/grouper'
import type { ConversationWrites } from '../../server/records/conversation-record'
import type { RequestRecord } from '../../server/records/request-record'
import { inFlightRecord } from '../capture/records'
import { claudeCodeSession, interleave, type SessionTruth, type TrafficCall } from '../support/claude-code-traffic'
import { NO_CHUNKS } from '../../server/records/capture-op'

/** A captured record of one call, completed with its reply as the response body. */
function recordOf(call: TrafficCall, index: number): RequestRecord {
  const requestBody = JSON.stringify(call.body)
  return inFlightRecord({
    id: randomUUID(),
    status: 'COMPLETED',
    startedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, index)),
    path: call.path,
    model: call.body.model as string,
    requestHeaders: { 'content-type': 'application/json', ...call.headers },
    requestBody,
    requestBodyBytes: Buffer.byteLength(requestBody),
    requestBodyIsJson: true,
    responseBody: call.reply === null ? null : JSON.stringify({ id: `msg_${index}`, type: 'message', ...call.reply }),
  })
}

interface GroupedThread {
  conversationId: string
  kind: string
  parentThreadId: string | null
  parentToolUseId: string | null
  purpose: string | null
  requests: string[]
  messages: Map<number, string>
}

/** What the store would hold after writing every batch: threads with their requests and messages. */
function groupAll(calls: TrafficCall[], grouper = new ConversationGrouper()) {
  const records = calls.map(recordOf)
  const threads = new Map<string, GroupedThread>()
  const conversationOf = new Map<string, string>()
  const threadOf = new Map<string, string>()
  const titles = new Map<string, string>()
  const apply = (writes: ConversationWrites | null) => {
    for (const a of writes?.assignments ?? []) {
      const thread: GroupedThread = threads.get(a.thread.id) ?? { conversationId: a.conversation.id, kind: a.thread.kind, parentThreadId: a.thread.parentThreadId, parentToolUseId: a.thread.parentToolUseId, purpose: a.thread.purpose, requests: [], messages: new Map() }
      thread.parentThreadId ??= a.thread.parentThreadId
      thread.parentToolUseId ??= a.thread.parentToolUseId
      threads.set(a.thread.id, thread)
      if (!thread.requests.includes(a.requestId)) thread.requests.push(a.requestId)
      for (const m of a.newMessages) if (!thread.messages.has(m.position)) thread.messages.set(m.position, m.contentId)
      conversationOf.set(a.requestId, a.conversation.id)
      threadOf.set(a.requestId, a.thread.id)
      if (a.title !== null && !titles.has(a.conversation.id)) titles.set(a.conversation.id, a.title)
    }
    for (const link of writes?.links ?? []) {
      const thread = threads.get(link.threadId)!
      thread.parentThreadId = link.parentThreadId
      thread.parentToolUseId = link.parentToolUseId
    }
  }
  // Start and completion in separate batches, as the writer usually sees a streamed call.
  const stored = new Set<string>()
  for (const record of records) {
    apply(grouper.groupBatch([{ kind: 'start', record: { ...record, status: 'IN_FLIGHT', responseBody: null } }], (id) => stored.has(id)))
    stored.add(record.id)
    apply(grouper.groupBatch([{ kind: 'complete', record, chunks: NO_CHUNKS }], (id) => stored.has(id)))
  }
  return { records, threads, conversationOf, threadOf, titles }
}

/** Checks one session's grouping against its ground truth; returns its conversation id. */
function expectMatchesTruth(grouped: ReturnType<typeof groupAll>, calls: TrafficCall[], truth: SessionTruth): string {
  const ids = calls.map((call) => grouped.records[grouped.records.findIndex((_, i) => groupedCalls.get(grouped)![i] === call)]!.id)
  const conversations = new Set(ids.map((id) => grouped.conversationOf.get(id)))
  expect(conversations.size).toBe(1)
  const conversationId = [...conversations][0]!
  const labelOf = new Map<string, string>()
  calls.forEach((call, i) => {
    const threadId = grouped.threadOf.get(ids[i]!)!
    const known = labelOf.get(threadId)
    expect(known ?? call.thread, `request ${i} of thread ${call.thread}`).toBe(call.thread)
    labelOf.set(threadId, call.thread)
  })
  const threadIdOf = new Map([...labelOf].map(([id, label]) => [label, id]))
  const actual = Object.fromEntries(
    [...threadIdOf].map(([label, id]) => {
      const thread = grouped.threads.get(id)!
      return [label, { kind: thread.kind, parent: thread.parentThreadId === null ? null : labelOf.get(thread.parentThreadId)!, parentToolUseId: thread.parentToolUseId, requestCount: thread.requests.length, messageCount: thread.messages.size, purpose: thread.purpose }]
    }),
  )
  expect(actual).toEqual(truth.threads)
  for (const thread of threadIdOf.values()) expect(grouped.threads.get(thread)!.conversationId).toBe(conversationId)
  expect(grouped.titles.get(conversationId)).toBe(truth.title)
  return conversationId
}

const groupedCalls = new WeakMap<ReturnType<typeof groupAll>, TrafficCall[]>()
function group(calls: TrafficCall[]) {
  const grouped = groupAll(calls)
  groupedCalls.set(grouped, calls)
  return grouped
}

describe('conversation grouper', () => {
  it.each(['header', 'metadata-legacy', 'metadata-json', 'explicit'] as const)('finds the main thread, both subagents with their Task calls and the side calls of a session named by %s', (signal) => {
    const { calls, truth } = claudeCodeSession({ sessionId: randomUUID(), signal })
    const grouped = group(calls)
    expectMatchesTruth(grouped, calls, truth)
  })

  it('keeps two sessions with identical histories apart when their calls interleave', () => {
    const a = claudeCodeSession({ sessionId: randomUUID(), mainTurns: 12, spawnAt: [3] })
    const b = claudeCodeSession({ sessionId: randomUUID(), mainTurns: 12, spawnAt: [3] })
    const calls = interleave(a.calls, b.calls)
    const grouped = group(calls)
    const first = expectMatchesTruth(grouped, a.calls, a.truth)
    const second = expectMatchesTruth(grouped, b.calls, b.truth)
    expect(first).not.toBe(second)
  })

  it('groups requests without any session signal by the history they extend, two interleaved conversations apart', () => {
    const a = claudeCodeSession({ sessionId: randomUUID(), signal: 'none', sideCalls: false, spawnAt: [], mainTurns: 10, prompt: 'Fix the login bug' })
    const b = claudeCodeSession({ sessionId: randomUUID(), signal: 'none', sideCalls: false, spawnAt: [], mainTurns: 10, prompt: 'Write the release notes' })
    const grouped = group(interleave(a.calls, b.calls))
    const first = expectMatchesTruth(grouped, a.calls, a.truth)
    const second = expectMatchesTruth(grouped, b.calls, b.truth)
    expect(first).not.toBe(second)
  })

  it('links a sessionless subagent to its parent through the Task call in the parent\'s response', () => {
    const { calls, truth } = claudeCodeSession({ sessionId: randomUUID(), signal: 'none', sideCalls: false, spawnAt: [2], mainTurns: 4 })
    const grouped = group(calls)
    expectMatchesTruth(grouped, calls, truth)
  })

  it('treats a message sent again without its cache_control mark as the same message', () => {
    const { calls } = claudeCodeSession({ sessionId: randomUUID(), sideCalls: false, spawnAt: [], mainTurns: 3 })
    const grouped = group(calls)
    const main = [...grouped.threads.values()][0]!
    // Three requests of 1, 3 and 5 messages: five messages, each once, though each was first sent marked.
    expect(main.requests).toHaveLength(3)
    expect(main.messages.size).toBe(5)
  })

  it('starts a thread of its own when a history diverges from its thread (an edited turn), sharing the messages before', () => {
    const { calls } = claudeCodeSession({ sessionId: randomUUID(), sideCalls: false, spawnAt: [], mainTurns: 4 })
    const edited: TrafficCall = JSON.parse(JSON.stringify(calls[2]!))
    const messages = edited.body.messages as Array<{ content: Array<{ text?: string }> }>
    messages[2]!.content = [{ text: 'Actually, do something else.', type: 'text' } as never]
    const grouped = group([...calls, edited])
    const threads = [...grouped.threads.values()]
    expect(threads).toHaveLength(2)
    expect(threads[1]!.kind).toBe('MAIN')
    expect(threads[1]!.messages.size).toBe(5)
    expect(threads[1]!.messages.get(0)).toBe(threads[0]!.messages.get(0))
  })

  it('uses the agent ids a client sends before any inference', () => {
    const sessionId = randomUUID()
    const base = { path: '/v1/messages' as const, reply: null }
    const body = (text: string, system: string) => ({ model: 'claude-sonnet-4-5', max_tokens: 100, system, tools: [{ name: 'Read', input_schema: { type: 'object' } }], messages: [{ role: 'user', content: text }] })
    const calls: TrafficCall[] = [
      { ...base, thread: 'main', headers: { 'x-claude-code-session-id': sessionId, 'x-claude-code-agent-id': 'root' }, body: body('hello', 'main') },
      // Same system prompt and an unrelated history: inference alone would call it the main agent.
      { ...base, thread: 'child', headers: { 'x-claude-code-session-id': sessionId, 'x-claude-code-agent-id': 'a1', 'x-claude-code-parent-agent-id': 'root' }, body: body('look around', 'main') },
    ]
    const grouped = group(calls)
    const [main, child] = grouped.records.map((r) => grouped.threads.get(grouped.threadOf.get(r.id)!)!)
    expect(main!.kind).toBe('MAIN')
    expect(child!.kind).toBe('SUBAGENT')
    expect(child!.parentThreadId).toBe(grouped.threadOf.get(grouped.records[0]!.id))
  })

  it('groups a batch written again (a retried transaction) the same way', () => {
    const grouper = new ConversationGrouper()
    const { calls } = claudeCodeSession({ sessionId: randomUUID(), sideCalls: false, spawnAt: [], mainTurns: 2 })
    const ops = calls.map((call, i) => ({ kind: 'complete' as const, record: recordOf(call, i), chunks: NO_CHUNKS }))
    const first = grouper.groupBatch(ops, () => false)
    const again = grouper.groupBatch(ops, () => false)
    expect(again).toEqual(first)
  })
})
