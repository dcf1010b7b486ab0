/**
 * Claude Code transcripts written from Claude Code-shaped traffic (see claude-code-traffic), as
 * Claude Code writes them: one line per message, an assistant message one content block per line
 * (the lines sharing `message.id` and `requestId`), tool results one per line, each line linked to
 * the one before by `parentUuid`; subagents' lines marked `isSidechain` with their `agentId`, in
 * the session's own file (the older flat layout) or in `<session>/subagents/agent-<id>.jsonl`.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Message, TrafficCall } from './claude-code-traffic'

export type TranscriptLayout = 'flat' | 'subagents'

/** What every call of the transcript reports, the same for each so totals are computed by hand. */
export const TRANSCRIPT_USAGE = { input_tokens: 10, output_tokens: 20, cache_creation_input_tokens: 100, cache_read_input_tokens: 1000 }

export interface TranscriptOptions {
  sessionId: string
  /** Calls of the session (side calls are left out: Claude Code does not record them). */
  calls: TrafficCall[]
  layout: TranscriptLayout
  /** The API request-id of the call at an index of `calls`, when it went through the proxy. */
  requestIdOf?: (callIndex: number) => string | undefined
  /** When the first call was made; later calls follow a second apart. */
  startedAt?: Date
}

const unmarked = <T>(value: T): T => JSON.parse(JSON.stringify(value), (key, v: unknown) => (key === 'cache_control' ? undefined : v)) as T

/** Writes the session's transcript under `projectDir`; returns the files written, relative to it. */
export async function writeTranscript(projectDir: string, options: TranscriptOptions): Promise<string[]> {
  const { sessionId, calls } = options
  const base = (options.startedAt ?? new Date(Date.UTC(2026, 0, 5, 9))).getTime()
  const files = new Map<string, Array<{ at: number; line: Record<string, unknown> }>>()
  const labels = [...new Set(calls.filter((c) => !c.thread.startsWith('side:')).map((c) => c.thread))]
  for (const label of labels) {
    const threadCalls = calls.map((call, index) => ({ call, index })).filter(({ call }) => call.thread === label)
    const last = threadCalls.at(-1)!
    const messages: Message[] = [...unmarked(last.call.body.messages as Message[]), last.call.reply!]
    const agentId = label === 'main' ? null : `a${label.replace(/\W/g, '')}${sessionId.slice(0, 6)}`
    const file = agentId === null || options.layout === 'flat' ? `${sessionId}.jsonl` : `${sessionId}/subagents/agent-${agentId}.jsonl`
    const lines = files.get(file) ?? []
    files.set(file, lines)
    let parentUuid: string | null = null
    messages.forEach((message, position) => {
      // The call that first sent a user message, or whose reply an assistant message is.
      const owner = message.role === 'assistant' ? threadCalls.find(({ call }) => (call.body.messages as unknown[]).length === position)! : threadCalls.find(({ call }) => (call.body.messages as unknown[]).length > position)!
      const at = base + owner.index * 1000 + (message.role === 'assistant' ? 500 : 0)
      message.content.forEach((block, i) => {
        const uuid = `${sessionId.slice(0, 8)}-${label}-${position}-${i}`
        const common = { parentUuid, isSidechain: agentId !== null, userType: 'external', cwd: '/home/dev/billing', sessionId, version: '2.1.90', gitBranch: 'main', ...(agentId === null ? {} : { agentId }), uuid, timestamp: new Date(at + i).toISOString() }
        const line =
          message.role === 'user'
            ? { ...common, type: 'user', message: { role: 'user', content: [block] } }
            : {
                ...common,
                type: 'assistant',
                requestId: options.requestIdOf?.(owner.index) ?? `req_transcript_${sessionId.slice(0, 8)}_${owner.index}`,
                message: { id: `msg_${sessionId.slice(0, 8)}_${owner.index}`, type: 'message', role: 'assistant', model: owner.call.body.model, content: [block], stop_reason: i === message.content.length - 1 ? 'end_turn' : null, stop_sequence: null, usage: { ...TRANSCRIPT_USAGE, service_tier: 'standard' } },
              }
        lines.push({ at: at + i, line })
        parentUuid = uuid
      })
    })
  }
  const main = files.get(`${sessionId}.jsonl`)!
  main.push({ at: base + calls.length * 1000, line: { type: 'summary', summary: 'Billing refactor', leafUuid: String(main.at(-1)!.line.uuid) } })
  main.push({ at: base + 1, line: { type: 'system', subtype: 'informational', content: 'Context left until auto-compact: 40%', sessionId, uuid: `${sessionId.slice(0, 8)}-system`, parentUuid: null, timestamp: new Date(base + 1).toISOString() } })
  for (const [file, lines] of files) {
    await mkdir(path.dirname(path.join(projectDir, file)), { recursive: true })
    await writeFile(path.join(projectDir, file), lines.sort((a, b) => a.at - b.at).map((l) => JSON.stringify(l.line)).join('\n') + '\n')
  }
  return [...files.keys()]
}
