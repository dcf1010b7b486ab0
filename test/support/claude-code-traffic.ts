/**
 * Traffic shaped like Claude Code's, with its ground truth: one session's main thread, the Task
 * subagents it spawns, and the side calls around them (title generation on a small model,
 * count_tokens, a quota check), each request carrying the whole history as Claude Code sends it
 * (the last block marked with cache_control, moved on every turn), with thinking, tool_use and
 * tool_result pairs and an image.
 */

import { DEFAULT_MODEL } from './anthropic-fixtures'

type Block = Record<string, unknown>
export interface Message {
  role: 'user' | 'assistant'
  content: Block[]
}

export type SessionSignalKind = 'header' | 'metadata-legacy' | 'metadata-json' | 'explicit' | 'none'
export type ThreadLabel = string

export interface TrafficCall {
  path: '/v1/messages' | '/v1/messages/count_tokens'
  headers: Record<string, string>
  body: Record<string, unknown>
  /** The thread it belongs to in the ground truth: main, agent-1, agent-2, side:small_model, side:count_tokens, side:quota. */
  thread: ThreadLabel
  /** The assistant message it is answered with (what the history goes on with). */
  reply: Message | null
}

export interface ThreadTruth {
  kind: 'MAIN' | 'SUBAGENT' | 'SIDE'
  parent: ThreadLabel | null
  parentToolUseId: string | null
  requestCount: number
  /** Messages of the thread (the last request's messages); 0 for side threads. */
  messageCount: number
  /** For SIDE threads, their purpose. */
  purpose: string | null
}

export interface SessionTruth {
  sessionId: string | null
  title: string
  requestCount: number
  threads: Record<ThreadLabel, ThreadTruth>
}

export interface SessionOptions {
  sessionId: string
  signal?: SessionSignalKind
  /** @default 30 */
  mainTurns?: number
  /** Main turns whose answer is a Task call; each spawns one subagent. @default [5, 15] */
  spawnAt?: number[]
  /** Requests per subagent. @default 3 */
  subagentTurns?: number
  /** Title, count_tokens and quota calls. @default true */
  sideCalls?: boolean
  /** The user's first prompt (distinct prompts keep sessionless conversations apart). */
  prompt?: string
  model?: string
}

const SMALL_MODEL = 'claude-haiku-4-5-20251001'
const REMINDER = '<system-reminder>\nAs you answer the user\'s questions, you can use the following context:\n# important-instruction-reminders\nDo what has been asked; nothing more, nothing less.\n</system-reminder>'
const TOOLS = ['Read', 'Grep', 'Bash', 'Task'].map((name) => ({ name, description: `The ${name} tool.`, input_schema: { type: 'object', properties: { arg: { type: 'string' } } } }))
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T

/** The history as Claude Code sends it: the last block of the last message marked for caching. */
function withCacheMark(history: Message[]): Message[] {
  const messages = clone(history)
  const last = messages.at(-1)!
  last.content[last.content.length - 1] = { ...last.content.at(-1)!, cache_control: { type: 'ephemeral' } }
  return messages
}

function sessionHeaders(signal: SessionSignalKind, sessionId: string): Record<string, string> {
  if (signal === 'header') return { 'x-claude-code-session-id': sessionId }
  if (signal === 'explicit') return { 'x-claudescope-session': sessionId }
  return {}
}

function metadata(signal: SessionSignalKind, sessionId: string): Record<string, unknown> {
  if (signal === 'metadata-legacy') return { metadata: { user_id: `user_${'ab'.repeat(32)}_account_0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0_session_${sessionId}` } }
  if (signal === 'metadata-json') return { metadata: { user_id: JSON.stringify({ device_id: 'cd'.repeat(32), account_uuid: '', session_id: sessionId }) } }
  return {}
}

/** One Claude Code session's requests, in the order Claude Code makes them, and what grouping must find. */
export function claudeCodeSession(options: SessionOptions): { calls: TrafficCall[]; truth: SessionTruth } {
  const signal = options.signal ?? 'header'
  const mainTurns = options.mainTurns ?? 30
  const spawnAt = options.spawnAt ?? [5, 15]
  const subagentTurns = options.subagentTurns ?? 3
  const sideCalls = options.sideCalls ?? true
  const prompt = options.prompt ?? 'Refactor the billing module to use the new price table'
  const model = options.model ?? DEFAULT_MODEL
  const tag = options.sessionId.slice(0, 8)
  const headers = sessionHeaders(signal, options.sessionId)
  const meta = metadata(signal, options.sessionId)
  const calls: TrafficCall[] = []
  const threads: Record<ThreadLabel, ThreadTruth> = {
    main: { kind: 'MAIN', parent: null, parentToolUseId: null, requestCount: 0, messageCount: 0, purpose: null },
  }
  const side = (purpose: string, body: Record<string, unknown>, path: TrafficCall['path'] = '/v1/messages') => {
    const label = `side:${purpose}`
    threads[label] ??= { kind: 'SIDE', parent: 'main', parentToolUseId: null, requestCount: 0, messageCount: 0, purpose }
    threads[label].requestCount++
    calls.push({ path, headers, body: { ...body, ...meta }, thread: label, reply: null })
  }
  const mainSystem = [{ type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude." }, { type: 'text', text: `You are an interactive CLI tool that helps users with software engineering tasks. Session ${tag}.` }]

  if (sideCalls) side('quota', { model: SMALL_MODEL, max_tokens: 1, messages: [{ role: 'user', content: 'quota' }] })
  const history: Message[] = [{ role: 'user', content: [{ type: 'text', text: REMINDER }, { type: 'text', text: `${prompt}\nKeep the public API unchanged.` }] }]
  let agents = 0
  for (let turn = 1; turn <= mainTurns; turn++) {
    if (sideCalls && (turn === 1 || turn === 10)) {
      side('small_model', { model: SMALL_MODEL, max_tokens: 512, system: [{ type: 'text', text: 'Analyze if this message indicates a new conversation topic. Extract a 2-3 word title.' }], messages: [{ role: 'user', content: turn === 1 ? prompt : `Now add tests for turn ${turn}` }] })
    }
    if (sideCalls && (turn === 2 || turn === 20)) {
      side('count_tokens', { model, tools: TOOLS, messages: [{ role: 'user', content: 'foo' }] }, '/v1/messages/count_tokens')
    }
    const spawning = spawnAt.includes(turn)
    const toolUseId = spawning ? `toolu_task_${tag}_${turn}` : `toolu_read_${tag}_${turn}`
    const reply: Message = {
      role: 'assistant',
      content: [
        ...(turn % 4 === 1 ? [{ type: 'thinking', thinking: `Thinking about step ${turn}.`, signature: `sig${turn}${'x'.repeat(20)}` }] : []),
        { type: 'text', text: `Step ${turn} of the refactor.` },
        ...(turn === mainTurns
          ? []
          : spawning
            ? [{ type: 'tool_use', id: toolUseId, name: 'Task', input: { description: `Investigate part ${turn}`, prompt: `Find every caller of the price table for part ${turn} of session ${tag} and list them.`, subagent_type: 'general-purpose' } }]
            : turn % 2 === 0
              ? [{ type: 'tool_use', id: toolUseId, name: 'Read', input: { file_path: `/src/billing/part${turn}.ts`, limit: 2000 } }]
              : []),
      ],
    }
    calls.push({ path: '/v1/messages', headers, body: { model, max_tokens: 32000, stream: true, system: mainSystem, tools: TOOLS, messages: withCacheMark(history), ...meta }, thread: 'main', reply })
    threads.main.requestCount++
    threads.main.messageCount = history.length
    history.push(reply)
    if (turn === mainTurns) break
    let result = `Contents of part ${turn}.`
    if (spawning) {
      agents++
      const label = `agent-${agents}`
      const task = reply.content.at(-1)! as { input: { prompt: string } }
      result = runSubagent(calls, threads, label, task.input.prompt, toolUseId, subagentTurns, agents === 2 ? SMALL_MODEL : model, headers, meta, tag)
    }
    const toolCalled = reply.content.some((block) => block.type === 'tool_use')
    history.push({
      role: 'user',
      content: toolCalled
        ? [{ type: 'tool_result', tool_use_id: toolUseId, content: result }]
        : turn === 7
          ? [{ type: 'text', text: 'Here is the screenshot of the failing page.' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } }]
          : [{ type: 'text', text: `Continue with step ${turn + 1}.` }],
    })
  }
  const requestCount = Object.values(threads).reduce((sum, thread) => sum + thread.requestCount, 0)
  return { calls, truth: { sessionId: signal === 'none' ? null : options.sessionId, title: prompt, requestCount, threads } }
}

function runSubagent(
  calls: TrafficCall[],
  threads: Record<ThreadLabel, ThreadTruth>,
  label: string,
  prompt: string,
  toolUseId: string,
  turns: number,
  model: string,
  headers: Record<string, string>,
  meta: Record<string, unknown>,
  tag: string,
): string {
  threads[label] = { kind: 'SUBAGENT', parent: 'main', parentToolUseId: toolUseId, requestCount: 0, messageCount: 0, purpose: null }
  const system = [{ type: 'text', text: `You are an agent for Claude Code. Given the user's message, use the tools available to complete the task. Agent ${label} of ${tag}.` }]
  const history: Message[] = [{ role: 'user', content: [{ type: 'text', text: prompt }] }]
  for (let turn = 1; turn <= turns; turn++) {
    const last = turn === turns
    const id = `toolu_grep_${tag}_${label}_${turn}`
    const reply: Message = { role: 'assistant', content: last ? [{ type: 'text', text: `Found 3 callers (${label}).` }] : [{ type: 'tool_use', id, name: 'Grep', input: { pattern: `price${turn}` } }] }
    calls.push({ path: '/v1/messages', headers, body: { model, max_tokens: 32000, stream: true, system, tools: TOOLS.filter((tool) => tool.name !== 'Task'), messages: withCacheMark(history), ...meta }, thread: label, reply })
    threads[label]!.requestCount++
    threads[label]!.messageCount = history.length
    history.push(reply)
    if (!last) history.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: `match ${turn}` }] })
  }
  return `Found 3 callers (${label}).`
}

/** Calls of several sessions taken in turn, one from each, as concurrent sessions reach a proxy. */
export function interleave(...sessions: TrafficCall[][]): TrafficCall[] {
  const out: TrafficCall[] = []
  for (let i = 0; sessions.some((calls) => i < calls.length); i++) for (const calls of sessions) if (i < calls.length) out.push(calls[i]!)
  return out
}
