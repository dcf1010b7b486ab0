/**
 * `claudescope import`: Claude Code transcripts written from Claude Code-shaped traffic (its
 * ground truth known) imported into a real database, read back through GraphQL: threads, subagent
 * links, messages once each, totals and costs computed by hand; hostile and broken input reported;
 * a second import a no-op; and a session first driven through the proxy with the official SDK,
 * then imported, one conversation.
 */
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { appendFile, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type Anthropic from '@anthropic-ai/sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importTranscripts, type ImportSummary } from '../../server/conversations/transcripts/transcript-import'
import { PricesService } from '../../server/usage/prices.service'
import { createLogger } from '../../server/logger'
import { claudeCodeSession, type Message, type TrafficCall } from '../support/claude-code-traffic'
import { writeTranscript, type TranscriptLayout } from '../support/claude-code-transcript'
import { queryGraphQL } from '../support/graphql-client'
import { sdkClient } from '../support/sdk-client'
import { startApp, type TestApp } from '../support/start-app'
import { createTestDatabase } from '../support/test-database'

interface ConversationView {
  id: string
  sessionId: string
  sessionSource: string
  title: string
  requestCount: number
  importedTurnCount: number
  unpricedTurnCount: number
  costUsd: number | null
  models: string[]
  usage: { inputTokens: number; outputTokens: number; cacheCreationInputTokens: number; cacheReadInputTokens: number }
  turns: Array<{ requestId: string; threadId: string; source: string; transcriptEntry: string | null; path: string | null; costUsd: number | null; costStatus: string | null; usage: { inputTokens: number; cacheReadInputTokens: number } | null }>
  threads: Array<{ id: string; kind: string; parentThreadId: string | null; parentToolUseId: string | null; requestCount: number; messageCount: number; messages: Array<{ position: number; role: string; contentText: string }> }>
}

const CONVERSATION = `query ($filter: ConversationFilter) { conversations(filter: $filter, first: 5) { totalCount nodes {
  id sessionId sessionSource title requestCount importedTurnCount unpricedTurnCount costUsd models
  usage { inputTokens outputTokens cacheCreationInputTokens cacheReadInputTokens }
  turns { requestId threadId source transcriptEntry path costUsd costStatus usage { inputTokens cacheReadInputTokens } }
  threads { id kind parentThreadId parentToolUseId requestCount messageCount messages { position role contentText } }
} } }`

/** Per call of the transcript (TRANSCRIPT_USAGE) at $/MTok input, cache write 5m, cache read, output: 10 x in + 100 x write + 1000 x read + 20 x out. */
const SONNET_CALL_USD = (10 * 3 + 100 * 3.75 + 1000 * 0.3 + 20 * 15) / 1e6 // 0.001005
const HAIKU_CALL_USD = (10 * 1 + 100 * 1.25 + 1000 * 0.1 + 20 * 5) / 1e6 // 0.000335

let app: TestApp
let dir: string
let prices: PricesService
beforeAll(async () => {
  app = await startApp()
  prices = new PricesService({ dataSource: app.app.dataSource, logger: createLogger('silent') })
  dir = await mkdtemp(path.join(os.tmpdir(), 'claudescope-transcripts-'))
})
afterAll(async () => {
  prices.close()
  await app.close()
  await rm(dir, { recursive: true, force: true })
})

const runImport = async (root: string): Promise<ImportSummary> => importTranscripts(root, { dataSource: app.app.dataSource, book: await prices.book() })

async function conversationOf(sessionId: string): Promise<ConversationView> {
  const data = await queryGraphQL<{ conversations: { totalCount: number; nodes: ConversationView[] } }>(app.url, CONVERSATION, { filter: { sessionId } })
  expect(data.conversations.totalCount).toBe(1)
  return data.conversations.nodes[0]!
}

const unmarked = (value: unknown): unknown => JSON.parse(JSON.stringify(value), (key, v: unknown) => (key === 'cache_control' ? undefined : v)) as unknown

/**
 * The messages a thread of the traffic ends with: its last call's, then that call's reply when the
 * call was imported (a captured request's reply stays in its response, as for any captured thread).
 */
function threadMessages(calls: TrafficCall[], label: string, lastCaptured: boolean): Message[] {
  const last = calls.filter((call) => call.thread === label).at(-1)!
  return unmarked([...(last.body.messages as Message[]), ...(lastCaptured ? [] : [last.reply])]) as Message[]
}

/** The conversation equals the traffic's ground truth: threads, links, each message once, in order. */
function expectThreads(conversation: ConversationView, calls: TrafficCall[], truth: ReturnType<typeof claudeCodeSession>['truth'], captured: readonly string[] = []): void {
  const labels = ['main', 'agent-1', 'agent-2']
  expect(conversation.threads.map((t) => t.kind)).toEqual(['MAIN', 'SUBAGENT', 'SUBAGENT'])
  const [main, ...agents] = conversation.threads
  conversation.threads.forEach((thread, i) => {
    const expected = threadMessages(calls, labels[i]!, captured.includes(labels[i]!))
    expect(thread.messages.map((m) => m.position)).toEqual(expected.map((_, p) => p))
    // Messages captured by the proxy keep the cache_control mark they were first sent with.
    expect(thread.messages.map((m) => unmarked(JSON.parse(m.contentText)))).toEqual(expected)
    expect(thread.messageCount).toBe(expected.length)
    expect(thread.requestCount).toBe(truth.threads[labels[i]!]!.requestCount)
  })
  agents.forEach((agent, i) => {
    expect(agent.parentThreadId).toBe(main!.id)
    expect(agent.parentToolUseId).toBe(truth.threads[`agent-${i + 1}`]!.parentToolUseId)
  })
}

describe('claudescope import', () => {
  for (const layout of ['subagents', 'flat'] as TranscriptLayout[]) {
    it(`imports a session with two subagents in the ${layout} layout into one conversation with its threads, messages, tokens and hand-computed cost`, async () => {
      const root = path.join(dir, `layout-${layout}`)
      const sessionId = randomUUID()
      const { calls, truth } = claudeCodeSession({ sessionId, sideCalls: false, mainTurns: 6, spawnAt: [2, 4], subagentTurns: 2 })
      const files = await writeTranscript(path.join(root, '-home-dev-billing'), { sessionId, calls, layout })
      expect(files).toHaveLength(layout === 'flat' ? 1 : 3)
      const summary = await runImport(root)
      expect(summary.problems).toEqual([])
      expect(summary).toMatchObject({ files: files.length, sessions: 1, importedTurns: calls.length, alreadyImported: 0, alreadyCaptured: 0 })

      const conversation = await conversationOf(sessionId)
      expect(conversation.sessionSource).toBe('TRANSCRIPT')
      expect(conversation.title).toBe(truth.title)
      expect(conversation.requestCount).toBe(calls.length)
      expect(conversation.importedTurnCount).toBe(calls.length)
      expectThreads(conversation, calls, truth)
      expect(conversation.turns.every((t) => t.source === 'TRANSCRIPT' && t.path === null && /\.jsonl:\d+$/.test(t.transcriptEntry!))).toBe(true)
      // 10 calls: 8 on Sonnet 4.6 (main and the first subagent), 2 on Haiku 4.5 (the second).
      expect(conversation.usage).toEqual({ inputTokens: 100, outputTokens: 200, cacheCreationInputTokens: 1000, cacheReadInputTokens: 10_000 })
      expect(conversation.models).toEqual(['claude-haiku-4-5-20251001', 'claude-sonnet-4-6'])
      expect(conversation.unpricedTurnCount).toBe(0)
      expect(conversation.costUsd).toBeCloseTo(8 * SONNET_CALL_USD + 2 * HAIKU_CALL_USD, 12)
      expect(conversation.costUsd).toBeCloseTo(0.00871, 12)
      expect(conversation.turns.map((t) => t.costUsd).sort()).toEqual([...Array(2).fill(HAIKU_CALL_USD), ...Array(8).fill(SONNET_CALL_USD)].sort())
    })
  }

  it('leaves the cost of a conversation null and counts its unpriced turns when a model has no price, never $0', async () => {
    const root = path.join(dir, 'unknown-model')
    const sessionId = randomUUID()
    // Main thread and first subagent on a model without a price; the second subagent on Haiku 4.5.
    const { calls } = claudeCodeSession({ sessionId, sideCalls: false, mainTurns: 6, spawnAt: [2, 4], subagentTurns: 2, model: 'claude-mystery-9' })
    await writeTranscript(path.join(root, 'p'), { sessionId, calls, layout: 'subagents' })
    expect((await runImport(root)).problems).toEqual([])
    const conversation = await conversationOf(sessionId)
    expect(conversation.unpricedTurnCount).toBe(8)
    expect(conversation.costUsd).toBeNull()
    const unpriced = conversation.turns.filter((t) => t.costStatus === 'UNKNOWN_MODEL')
    expect(unpriced).toHaveLength(8)
    expect(unpriced.every((t) => t.costUsd === null)).toBe(true)
    expect(conversation.turns.filter((t) => t.costStatus === 'PRICED').map((t) => t.costUsd)).toEqual([HAIKU_CALL_USD, HAIKU_CALL_USD])
    expect(conversation.usage.inputTokens).toBe(100)
  })

  it('changes nothing when the same transcripts are imported again', async () => {
    const root = path.join(dir, 'twice')
    const sessionId = randomUUID()
    const { calls } = claudeCodeSession({ sessionId, sideCalls: false, mainTurns: 5, spawnAt: [2, 3], subagentTurns: 2 })
    await writeTranscript(path.join(root, 'p'), { sessionId, calls, layout: 'subagents' })
    await runImport(root)
    const snapshot = async () => ({
      conversation: await conversationOf(sessionId),
      rows: await app.app.dataSource.query(
        `SELECT (SELECT count(*) FROM conversation_messages) AS messages, (SELECT count(*) FROM conversation_requests) AS places, (SELECT count(*) FROM imported_turns) AS turns, (SELECT count(*) FROM contents) AS contents, (SELECT count(*) FROM conversation_threads) AS threads`,
      ),
    })
    const before = await snapshot()
    const again = await runImport(root)
    expect(again).toMatchObject({ importedTurns: 0, newMessages: 0, alreadyImported: calls.length, problems: [] })
    expect(await snapshot()).toEqual(before)
  })

  it('reports a malformed line with its file and line, a symbolic link out of the directory and a name with "..", and imports the rest', async () => {
    const root = path.join(dir, 'hostile')
    const sessionId = randomUUID()
    const { calls } = claudeCodeSession({ sessionId, sideCalls: false, mainTurns: 5, spawnAt: [2, 3], subagentTurns: 2 })
    await writeTranscript(path.join(root, 'p'), { sessionId, calls, layout: 'subagents' })
    await appendFile(path.join(root, 'p', `${sessionId}.jsonl`), '{"type":"user","uuid":"x" this is not json\n[1,2]\n')
    const outside = await mkdtemp(path.join(os.tmpdir(), 'claudescope-outside-'))
    const secretSession = randomUUID()
    await writeTranscript(outside, { sessionId: secretSession, calls: claudeCodeSession({ sessionId: secretSession, sideCalls: false, mainTurns: 2, spawnAt: [] }).calls, layout: 'flat' })
    await symlink(path.join(outside, `${secretSession}.jsonl`), path.join(root, 'p', 'escape.jsonl'))
    await symlink(outside, path.join(root, 'linked-project'))
    await writeFile(path.join(root, 'p', '..sneaky.jsonl'), '')
    try {
      const summary = await runImport(root)
      const count = (await readFile(path.join(root, 'p', `${sessionId}.jsonl`), 'utf8')).trimEnd().split('\n').length
      expect(summary.problems).toEqual([
        { where: 'linked-project', reason: 'a symbolic link pointing out of the directory: not followed' },
        { where: 'p/..sneaky.jsonl', reason: 'a name with ".." is refused' },
        { where: 'p/escape.jsonl', reason: 'a symbolic link pointing out of the directory: not followed' },
        { where: `p/${sessionId}.jsonl:${count - 1}`, reason: expect.stringMatching(/^not JSON/) as unknown as string },
        { where: `p/${sessionId}.jsonl:${count}`, reason: 'not a JSON object' },
      ])
      expect(summary.importedTurns).toBe(calls.length)
      expect((await conversationOf(sessionId)).requestCount).toBe(calls.length)
      const secret = await queryGraphQL<{ conversations: { totalCount: number } }>(app.url, CONVERSATION, { filter: { sessionId: secretSession } })
      expect(secret.conversations.totalCount).toBe(0)
    } finally {
      await rm(outside, { recursive: true, force: true })
    }
  })

  it('merges a session driven through the proxy with the official SDK and then imported: one conversation, each call and message once', async () => {
    const client: Anthropic = sdkClient(app.url)
    const sessionId = randomUUID()
    const { calls, truth } = claudeCodeSession({ sessionId, sideCalls: false, mainTurns: 6, spawnAt: [2, 4], subagentTurns: 2 })
    // The first six calls (the main thread's first turns and the first subagent) go through the proxy; the rest only reach the transcript.
    const proxied = 6
    const requestIds: string[] = []
    for (const call of calls.slice(0, proxied)) {
      const stream = client.messages.stream(call.body as never, { headers: call.headers })
      await stream.finalMessage()
      requestIds.push(stream.request_id!)
    }
    await app.app.capture.flush()
    expect((await conversationOf(sessionId)).requestCount).toBe(proxied)

    const root = path.join(dir, 'merge')
    await writeTranscript(path.join(root, 'p'), { sessionId, calls, layout: 'subagents', startedAt: new Date(), requestIdOf: (i) => requestIds[i] })
    const summary = await runImport(root)
    expect(summary).toMatchObject({ importedTurns: calls.length - proxied, alreadyCaptured: proxied, alreadyImported: 0, problems: [] })

    const conversation = await conversationOf(sessionId)
    expect(conversation.sessionSource).toBe('HEADER')
    expect(conversation.requestCount).toBe(calls.length)
    expect(conversation.importedTurnCount).toBe(calls.length - proxied)
    expect(conversation.turns.map((t) => t.source)).toEqual([...Array(proxied).fill('PROXY'), ...Array(calls.length - proxied).fill('TRANSCRIPT')])
    // The first subagent ran wholly through the proxy.
    expectThreads(conversation, calls, truth, ['agent-1'])
    const again = await runImport(root)
    expect(again).toMatchObject({ importedTurns: 0, newMessages: 0 })
  })
})

/** Runs `claudescope import` as its own process (server/main.ts through swc), stdin and stderr not terminals. */
function runCommand(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'server/main.ts', ...args], { cwd: path.resolve(__dirname, '../..'), env: { ...process.env, LOG_LEVEL: 'silent', ...env }, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })))
}

describe('claudescope import, the command', () => {
  it('imports a directory into the configured database with plain progress lines, a summary and each skipped line on stderr, exit code 1 for a skipped line, and nothing new the second time', { timeout: 240_000 }, async () => {
    const database = await createTestDatabase()
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'claudescope-import-data-'))
    try {
      const root = path.join(dir, 'command')
      const sessionId = randomUUID()
      const { calls } = claudeCodeSession({ sessionId, sideCalls: false, mainTurns: 4, spawnAt: [2, 3], subagentTurns: 2 })
      await writeTranscript(path.join(root, 'p'), { sessionId, calls, layout: 'subagents' })
      await appendFile(path.join(root, 'p', `${sessionId}.jsonl`), 'garbage\n')
      const lineCount = (await readFile(path.join(root, 'p', `${sessionId}.jsonl`), 'utf8')).trimEnd().split('\n').length
      const env = { DATABASE_URL: database.url, DATA_DIR: dataDir }
      const first = await runCommand(['import', root], env)
      expect(first.stderr).toContain('import: 3/3 files read')
      expect(first.stderr).toContain(`Imported ${calls.length} API calls`)
      expect(first.stderr).toContain(`p/${sessionId}.jsonl:${lineCount}: not JSON`)
      expect(first.code).toBe(1)
      const second = await runCommand(['import', root], env)
      expect(second.stderr).toContain(`Imported 0 API calls (0 new messages)`)
      expect(second.stderr).toContain(`Already there: ${calls.length} imported before, 0 captured by the proxy.`)
    } finally {
      await database.drop()
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})
