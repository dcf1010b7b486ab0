/**
 * Claude Code-shaped traffic (see claude-code-traffic) sent through a whole Claudescope with the
 * official SDK: the conversations GraphQL answers must equal the traffic's ground truth exactly,
 * and every body read back must equal the bytes upstream received.
 */
import { randomUUID } from 'node:crypto'
import type Anthropic from '@anthropic-ai/sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { graphql, type ResultOf } from '../../client/src/graphql/graphql'
import { queryGraphQL, subscribeGraphQL } from '../support/graphql-client'
import { claudeCodeSession, interleave, type SessionTruth, type TrafficCall } from '../support/claude-code-traffic'
import { sdkClient } from '../support/sdk-client'
import { startApp, type TestApp } from '../support/start-app'
import { waitFor } from '../support/wait'
import { createTestDatabase } from '../support/test-database'

const CONVERSATION = graphql(`query ConversationOfSession($filter: ConversationFilter) {
  conversations(filter: $filter, first: 10) {
    totalCount
    nodes {
      id sessionId sessionSource title requestCount models startedAt lastActivityAt costUsd unpricedTurnCount
      usage { inputTokens outputTokens cacheCreationInputTokens cacheReadInputTokens }
      turns { requestId threadId path model status messageCount newMessageCount durationMs costUsd costStatus usage { inputTokens outputTokens cacheReadInputTokens cacheCreationInputTokens } }
      threads {
        id kind parentThreadId parentToolUseId purpose requestCount messageCount
        messages { position role requestId contentText }
        turns { requestId }
      }
    }
  }
}`)
type ConversationNode = ResultOf<typeof CONVERSATION>['conversations']['nodes'][number]

const BODIES = graphql(`query ConversationBodies($id: ID!, $after: String) {
  conversation(id: $id) { requests(first: 50, after: $after) { totalCount nodes { id requestBodyText conversation { id } } pageInfo { hasNextPage endCursor } } }
}`)

let app: TestApp
let client: Anthropic
beforeAll(async () => {
  app = await startApp()
  client = sdkClient(`${app.url}`)
})
afterAll(() => app.close())

interface Sent {
  call: TrafficCall
  usage: { input: number; output: number; cacheRead: number; cacheWrite: number } | null
}

/** Makes each call through the proxy with the SDK, in order, as Claude Code would. */
async function send(calls: TrafficCall[]): Promise<Sent[]> {
  const sent: Sent[] = []
  for (const call of calls) {
    const options = { headers: call.headers }
    if (call.path.endsWith('/count_tokens')) {
      await client.messages.countTokens(call.body as never, options)
      sent.push({ call, usage: null })
      continue
    }
    const message = call.body.stream === true ? await client.messages.stream(call.body as never, options).finalMessage() : await client.messages.create(call.body as never, options)
    const usage = (message as Anthropic.Message).usage
    sent.push({ call, usage: { input: usage.input_tokens, output: usage.output_tokens, cacheRead: usage.cache_read_input_tokens ?? 0, cacheWrite: usage.cache_creation_input_tokens ?? 0 } })
  }
  await app.app.capture.flush()
  return sent
}

async function conversationOf(sessionId: string | null, title?: string): Promise<ConversationNode> {
  const data = await queryGraphQL(app.url, CONVERSATION, { filter: sessionId === null ? { search: title } : { sessionId } })
  expect(data.conversations.totalCount).toBe(1)
  return data.conversations.nodes[0]!
}

/** Strips cache_control marks, which Claude Code moves from turn to turn. */
const unmarked = (value: unknown): unknown => JSON.parse(JSON.stringify(value), (key, v: unknown) => (key === 'cache_control' ? undefined : v)) as unknown

function expectTruth(conversation: ConversationNode, sent: Sent[], truth: SessionTruth): void {
  const calls = sent.map((s) => s.call)
  expect(conversation.sessionId).toBe(truth.sessionId)
  expect(conversation.title).toBe(truth.title)
  expect(conversation.requestCount).toBe(truth.requestCount)
  expect(conversation.turns).toHaveLength(calls.length)
  // Every model is priced: the total is the sum of the turns' costs (count_tokens is not billed).
  expect(conversation.unpricedTurnCount).toBe(0)
  expect(conversation.turns.every((turn) => turn.costStatus === (turn.path!.endsWith('/count_tokens') ? 'NOT_BILLED' : 'PRICED'))).toBe(true)
  expect(conversation.costUsd).toBeCloseTo(conversation.turns.reduce((sum, turn) => sum + (turn.costUsd ?? 0), 0), 12)
  expect(conversation.costUsd).toBeGreaterThan(0)
  // Turns are in request order, as the calls were made one after the other.
  const labelOf = new Map<string, string>()
  conversation.turns.forEach((turn, i) => {
    expect(turn.path).toBe(calls[i]!.path)
    const known = labelOf.get(turn.threadId)
    expect(known ?? calls[i]!.thread, `turn ${i}`).toBe(calls[i]!.thread)
    labelOf.set(turn.threadId, calls[i]!.thread)
  })
  const actual = Object.fromEntries(
    conversation.threads.map((thread) => [
      labelOf.get(thread.id)!,
      {
        kind: thread.kind,
        parent: thread.parentThreadId === null ? null : labelOf.get(thread.parentThreadId)!,
        parentToolUseId: thread.parentToolUseId,
        requestCount: thread.requestCount,
        messageCount: thread.messageCount,
        purpose: thread.purpose,
      },
    ]),
  )
  expect(actual).toEqual(truth.threads)
  expect(conversation.threads[0]!.kind).toBe('MAIN')
  // Each thread's messages, once each and in order, are its last request's messages.
  for (const thread of conversation.threads) {
    const label = labelOf.get(thread.id)!
    expect(thread.turns).toHaveLength(truth.threads[label]!.requestCount)
    if (thread.kind === 'SIDE') {
      expect(thread.messages).toEqual([])
      continue
    }
    const last = calls.filter((call) => call.thread === label).at(-1)!
    const expected = last.body.messages as unknown[]
    expect(thread.messages.map((m) => m.position)).toEqual(expected.map((_, i) => i))
    expect(thread.messages.map((m) => unmarked(JSON.parse(m.contentText!)))).toEqual(unmarked(expected))
    expect(thread.messages.map((m) => m.role)).toEqual(expected.map((m) => (m as { role: string }).role))
    // Introduced by the request that first sent the message: a turn of this thread, never a later one.
    const turnIndex = new Map(thread.turns.map((t, i) => [t.requestId, i]))
    for (const message of thread.messages) expect(turnIndex.has(message.requestId)).toBe(true)
  }
  const usage = sent.reduce(
    (sum, s) => ({ inputTokens: sum.inputTokens + (s.usage?.input ?? 0), outputTokens: sum.outputTokens + (s.usage?.output ?? 0), cacheReadInputTokens: sum.cacheReadInputTokens + (s.usage?.cacheRead ?? 0), cacheCreationInputTokens: sum.cacheCreationInputTokens + (s.usage?.cacheWrite ?? 0) }),
    { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 },
  )
  expect(conversation.usage).toEqual(usage)
  expect(conversation.models).toEqual([...new Set(calls.map((call) => call.body.model as string))].sort())
}

/** Every request body of the conversation read back through GraphQL, in pages: each equals what upstream received. */
async function expectBodiesReadBack(conversationId: string, count: number, upstreamBodies: Set<string>): Promise<void> {
  let after: string | null = null
  let seen = 0
  for (;;) {
    const data: ResultOf<typeof BODIES> = await queryGraphQL(app.url, BODIES, { id: conversationId, after })
    const page = data.conversation!.requests
    expect(page.totalCount).toBe(count)
    for (const node of page.nodes) {
      expect(upstreamBodies.has(node.requestBodyText!)).toBe(true)
      expect(node.conversation!.id).toBe(conversationId)
    }
    seen += page.nodes.length
    if (!page.pageInfo.hasNextPage) break
    after = page.pageInfo.endCursor
  }
  expect(seen).toBe(count)
}

describe('conversations through the proxy', () => {
  it('reconstructs a Claude Code session exactly: main thread of 30 turns, two Task subagents, side calls, totals, bodies', async () => {
    const sessionId = randomUUID()
    const { calls, truth } = claudeCodeSession({ sessionId })
    const subscribers = app.app.bus.subscriberCount
    const updates = subscribeGraphQL(app.url, 'subscription { conversationUpdated(id: "00000000-0000-0000-0000-000000000000") { id } }')
    const anyUpdate = subscribeGraphQL<{ conversationUpdated: { id: string; requestCount: number } }>(app.url, 'subscription { conversationUpdated { id requestCount } }')
    await waitFor(() => app.app.bus.subscriberCount === subscribers + 2, 'both subscriptions open')
    const before = app.upstream.requests.length
    const sent = await send(calls)
    const conversation = await conversationOf(sessionId)
    expectTruth(conversation, sent, truth)
    expect(conversation.sessionSource).toBe('HEADER')
    await expectBodiesReadBack(conversation.id, calls.length, new Set(app.upstream.requests.slice(before).map((r) => r.body.toString('utf8'))))
    // Live updates arrived for this conversation, none for another.
    await anyUpdate.waitFor(1)
    expect(anyUpdate.results.every((r) => r.conversationUpdated.id === conversation.id)).toBe(true)
    expect(updates.results).toEqual([])
    await Promise.all([updates.close(), anyUpdate.close()])
  })

  it('keeps two interleaved sessions with identical histories apart, sessions named in metadata.user_id', async () => {
    const a = claudeCodeSession({ sessionId: randomUUID(), signal: 'metadata-legacy', mainTurns: 8, spawnAt: [3] })
    const b = claudeCodeSession({ sessionId: randomUUID(), signal: 'metadata-json', mainTurns: 8, spawnAt: [3] })
    const sent = await send(interleave(a.calls, b.calls))
    const ofSession = (calls: TrafficCall[]) => sent.filter((s) => calls.includes(s.call))
    expectTruth(await conversationOf(a.truth.sessionId), ofSession(a.calls), a.truth)
    expectTruth(await conversationOf(b.truth.sessionId), ofSession(b.calls), b.truth)
  })

  it('groups requests without any session signal by prefix continuity, two interleaved conversations apart', async () => {
    const a = claudeCodeSession({ sessionId: randomUUID(), signal: 'none', sideCalls: false, mainTurns: 6, spawnAt: [], prompt: `Port the parser ${randomUUID()}` })
    const b = claudeCodeSession({ sessionId: randomUUID(), signal: 'none', sideCalls: false, mainTurns: 6, spawnAt: [], prompt: `Document the cache ${randomUUID()}` })
    const sent = await send(interleave(a.calls, b.calls))
    const ofSession = (calls: TrafficCall[]) => sent.filter((s) => calls.includes(s.call))
    const first = await conversationOf(null, a.truth.title)
    const second = await conversationOf(null, b.truth.title)
    expect(first.sessionSource).toBe('PREFIX')
    expectTruth(first, ofSession(a.calls), a.truth)
    expectTruth(second, ofSession(b.calls), b.truth)
  })
})

describe('conversations across a restart', () => {
  it('goes on in the same conversation and threads when Claudescope restarts in the middle of a session', async () => {
    const database = await createTestDatabase()
    try {
      const sessionId = randomUUID()
      const { calls, truth } = claudeCodeSession({ sessionId, mainTurns: 12, spawnAt: [4, 9], subagentTurns: 2 })
      // Stop between two main turns, after the first subagent finished.
      const cut = calls.findIndex((call, i) => i > 0 && call.thread === 'main' && calls[i - 1]!.thread === 'agent-1') + 2
      const sent: Sent[] = []
      for (const part of [calls.slice(0, cut), calls.slice(cut)]) {
        const instance = await startApp({ databaseUrl: database.url })
        try {
          client = sdkClient(instance.url)
          const current = app
          app = instance
          sent.push(...(await send(part)))
          app = current
        } finally {
          await instance.close()
        }
      }
      client = sdkClient(app.url)
      const instance = await startApp({ databaseUrl: database.url })
      try {
        const current = app
        app = instance
        expectTruth(await conversationOf(sessionId), sent, truth)
        app = current
      } finally {
        await instance.close()
      }
    } finally {
      await database.drop()
    }
  })

  it('joins the next turn of a conversation without any session signal to its stored conversation after a restart, not to a new one', async () => {
    const database = await createTestDatabase()
    try {
      const prompt = `Rename the ledger ${randomUUID()}`
      const { calls, truth } = claudeCodeSession({ sessionId: randomUUID(), signal: 'none', sideCalls: false, mainTurns: 8, spawnAt: [], prompt })
      const sent: Sent[] = []
      const current = app
      try {
        // A new instance on the same database for each part: the grouper starts empty every time.
        for (const part of [calls.slice(0, 3), calls.slice(3, 6), calls.slice(6)]) {
          const instance = await startApp({ databaseUrl: database.url })
          try {
            client = sdkClient(instance.url)
            app = instance
            sent.push(...(await send(part)))
          } finally {
            app = current
            await instance.close()
          }
        }
        const instance = await startApp({ databaseUrl: database.url })
        try {
          app = instance
          const conversation = await conversationOf(null, prompt)
          expect(conversation.sessionSource).toBe('PREFIX')
          expectTruth(conversation, sent, truth)
        } finally {
          app = current
          await instance.close()
        }
      } finally {
        client = sdkClient(app.url)
      }
    } finally {
      await database.drop()
    }
  })
})
