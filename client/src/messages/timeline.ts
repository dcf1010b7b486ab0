/**
 * Where the time of a streamed response went, from the arrival offset of each SSE event: waiting
 * for the first byte, then each content block from its `content_block_start` to its
 * `content_block_stop`, by kind (thinking, text, tool input).
 */
export type PhaseKind = 'waiting' | 'thinking' | 'text' | 'tool input' | 'other'

export interface TimelinePhase {
  kind: PhaseKind
  startMs: number
  endMs: number
}

export interface Timeline {
  phases: TimelinePhase[]
  /** Milliseconds per kind, summed over its phases. */
  totals: Record<PhaseKind, number>
  ttfbMs: number | null
  totalMs: number
}

/** One SSE event as the API serves it: its `event:` name, `data:` text and arrival offset. */
export interface TimedEvent {
  event: string | null
  data: string
  offsetMs: number
}

const KIND_BY_BLOCK: Record<string, PhaseKind> = {
  thinking: 'thinking',
  redacted_thinking: 'thinking',
  text: 'text',
  tool_use: 'tool input',
  server_tool_use: 'tool input',
  mcp_tool_use: 'tool input',
}

export function buildTimeline(events: readonly TimedEvent[], ttfbMs: number | null, durationMs: number | null): Timeline {
  const phases: TimelinePhase[] = []
  const firstByteMs = ttfbMs ?? events[0]?.offsetMs ?? null
  if (firstByteMs !== null && firstByteMs > 0) phases.push({ kind: 'waiting', startMs: 0, endMs: firstByteMs })
  const open = new Map<number, TimelinePhase>()
  for (const { event, data, offsetMs } of events) {
    if (event === 'content_block_start') {
      const start = parseBlockStart(data)
      if (start) open.set(start.index, { kind: KIND_BY_BLOCK[start.type] ?? 'other', startMs: offsetMs, endMs: offsetMs })
    } else if (event === 'content_block_delta' || event === 'content_block_stop') {
      const index = blockIndex(data)
      const phase = index === null ? undefined : open.get(index)
      if (!phase) continue
      phase.endMs = offsetMs
      if (event === 'content_block_stop') {
        phases.push(phase)
        open.delete(index!)
      }
    }
  }
  // A stream cut off mid-block still shows the part that arrived.
  phases.push(...open.values())
  const lastEventMs = events.at(-1)?.offsetMs ?? 0
  const totals: Record<PhaseKind, number> = { waiting: 0, thinking: 0, text: 0, 'tool input': 0, other: 0 }
  for (const phase of phases) totals[phase.kind] += phase.endMs - phase.startMs
  return { phases, totals, ttfbMs: firstByteMs, totalMs: Math.max(durationMs ?? 0, lastEventMs, ...phases.map((phase) => phase.endMs)) }
}

function parseBlockStart(data: string): { index: number; type: string } | null {
  try {
    const parsed = JSON.parse(data) as { index?: unknown; content_block?: { type?: unknown } }
    return typeof parsed.index === 'number' && typeof parsed.content_block?.type === 'string' ? { index: parsed.index, type: parsed.content_block.type } : null
  } catch {
    return null
  }
}

// Deltas are the bulk of a stream: read the index from the text instead of parsing each one.
const INDEX = /"index"\s*:\s*(\d+)/

function blockIndex(data: string): number | null {
  const match = INDEX.exec(data)
  return match ? Number(match[1]) : null
}
