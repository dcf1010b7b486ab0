import type { Attributes } from './otlp-payload'
import { flag, integer, quantity, text } from './claude-code-event'

/** A stored Claude Code event, as the join reads it. */
export interface StoredEvent {
  promptId: string | null
  eventName: string
  sequence: number | null
  occurredAt: Date
  attributes: Attributes
}

export interface UserPromptEvent {
  promptId: string | null
  occurredAt: Date
  /** What the user typed; null when Claude Code redacted it (OTEL_LOG_USER_PROMPTS unset). */
  prompt: string | null
  promptLength: number | null
}

export interface ApiRequestEvent {
  promptId: string | null
  occurredAt: Date
  model: string | null
  costUsd: number | null
  durationMs: number | null
  inputTokens: number | null
  outputTokens: number | null
  cacheReadTokens: number | null
  cacheCreationTokens: number | null
  /** The API's request id as Claude Code saw it (newer versions send it). */
  upstreamRequestId: string | null
  /** The proxied request it was joined to, when one was. */
  requestId: string | null
}

export interface ToolDecisionEvent {
  promptId: string | null
  occurredAt: Date
  toolName: string | null
  /** accept or reject. */
  decision: string | null
  /** Who decided: config, hook, user_permanent, user_temporary, user_reject, ... */
  source: string | null
}

export interface ToolResultEvent {
  promptId: string | null
  occurredAt: Date
  toolName: string | null
  success: boolean | null
  durationMs: number | null
  error: string | null
  /** JSON text Claude Code sends for some tools (Bash's command, MCP and skill names). */
  toolParameters: string | null
  decisionSource: string | null
  decisionType: string | null
}

/** Everything one prompt set off: its API calls, the tool calls the user let run or not, and how they went. */
export interface PromptActivity {
  promptId: string
  userPrompt: UserPromptEvent | null
  apiRequests: ApiRequestEvent[]
  toolDecisions: ToolDecisionEvent[]
  toolResults: ToolResultEvent[]
  /** The proxied requests found to belong to it, oldest first. */
  requestIds: string[]
}

/** What Claude Code reported around one proxied request. */
export interface TurnActivity {
  promptId: string | null
  /** The prompt that started the turn. */
  userPrompt: UserPromptEvent | null
  /** Claude Code's own record of this request, when it could be matched. */
  apiRequest: ApiRequestEvent | null
  /** Tool calls decided after this response and before the prompt's next API call: the ones it asked for. */
  toolDecisions: ToolDecisionEvent[]
  toolResults: ToolResultEvent[]
}

export interface ConversationActivity {
  prompts: PromptActivity[]
  byRequest: Map<string, TurnActivity>
}

/** A proxied request as the join needs it. */
export interface JoinableTurn {
  requestId: string
  startedAt: Date
  completedAt: Date | null
  model: string | null
  upstreamRequestId: string | null
  inputTokens: number | null
  outputTokens: number | null
  cacheReadTokens: number | null
  cacheCreationTokens: number | null
}

/**
 * Farthest apart an api_request event and the end of a request with the same model and tokens may
 * be and still be matched: Claude Code stamps the event when the response ended, on its own clock.
 */
const MATCH_WINDOW_MS = 10 * 60 * 1000

/**
 * Joins a session's Claude Code events to its proxied requests. An api_request event is matched to
 * a request by the API's request id when the event carries it, else by model and the four token
 * counts, the closest in time winning; the request's prompt is that event's `prompt.id`, or, for a
 * request no event matched (side calls, older versions), the last prompt submitted before it
 * started. Pure: the same events and turns always give the same answer.
 */
export function joinActivity(turns: readonly JoinableTurn[], events: readonly StoredEvent[]): ConversationActivity {
  const ordered = [...events].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || (a.sequence ?? 0) - (b.sequence ?? 0))
  const prompts = new Map<string, PromptActivity>()
  const promptOf = (promptId: string): PromptActivity => {
    let activity = prompts.get(promptId)
    if (activity === undefined) prompts.set(promptId, (activity = { promptId, userPrompt: null, apiRequests: [], toolDecisions: [], toolResults: [], requestIds: [] }))
    return activity
  }
  const userPrompts: UserPromptEvent[] = []
  const apiRequests: ApiRequestEvent[] = []
  /** Per prompt, its events in order, for cutting tool calls between two API calls. */
  const timeline = new Map<string, Array<ApiRequestEvent | ToolDecisionEvent | ToolResultEvent>>()
  for (const event of ordered) {
    const read = readEvent(event)
    if (read === null) continue
    if (read.kind === 'user_prompt') userPrompts.push(read.event)
    if (read.kind === 'api_request') apiRequests.push(read.event)
    if (event.promptId === null) continue
    const activity = promptOf(event.promptId)
    if (read.kind === 'user_prompt') activity.userPrompt ??= read.event
    else {
      if (read.kind === 'api_request') activity.apiRequests.push(read.event)
      if (read.kind === 'tool_decision') activity.toolDecisions.push(read.event)
      if (read.kind === 'tool_result') activity.toolResults.push(read.event)
      const line = timeline.get(event.promptId) ?? []
      line.push(read.event)
      timeline.set(event.promptId, line)
    }
  }

  const matched = matchApiRequests(turns, apiRequests)
  const byRequest = new Map<string, TurnActivity>()
  for (const turn of [...turns].sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime())) {
    const apiRequest = matched.get(turn.requestId) ?? null
    const promptId = apiRequest?.promptId ?? lastBefore(userPrompts, turn.startedAt)?.promptId ?? null
    const activity = promptId === null ? null : promptOf(promptId)
    activity?.requestIds.push(turn.requestId)
    const tools = apiRequest !== null && promptId !== null ? toolsAfter(timeline.get(promptId) ?? [], apiRequest) : []
    byRequest.set(turn.requestId, {
      promptId,
      userPrompt: activity?.userPrompt ?? null,
      apiRequest,
      toolDecisions: tools.filter((event): event is ToolDecisionEvent => 'decision' in event),
      toolResults: tools.filter((event): event is ToolResultEvent => 'success' in event),
    })
  }
  const firstSeen = (activity: PromptActivity): number =>
    Math.min(...[activity.userPrompt, ...activity.apiRequests, ...activity.toolDecisions, ...activity.toolResults].filter((event) => event !== null).map((event) => event.occurredAt.getTime()))
  return { prompts: [...prompts.values()].sort((a, b) => firstSeen(a) - firstSeen(b)), byRequest }
}

/** Each api_request event given to at most one request and each request to at most one event; sets `requestId` on the events matched. */
function matchApiRequests(turns: readonly JoinableTurn[], events: readonly ApiRequestEvent[]): Map<string, ApiRequestEvent> {
  const matched = new Map<string, ApiRequestEvent>()
  const take = (turn: JoinableTurn, event: ApiRequestEvent) => {
    matched.set(turn.requestId, event)
    event.requestId = turn.requestId
  }
  const byUpstreamId = new Map(turns.filter((turn) => turn.upstreamRequestId !== null).map((turn) => [turn.upstreamRequestId!, turn]))
  for (const event of events) {
    const turn = event.upstreamRequestId === null ? undefined : byUpstreamId.get(event.upstreamRequestId)
    if (turn !== undefined && !matched.has(turn.requestId)) take(turn, event)
  }
  for (const event of events) {
    if (event.requestId !== null) continue
    let best: { turn: JoinableTurn; distance: number } | null = null
    for (const turn of turns) {
      if (matched.has(turn.requestId) || !sameCall(turn, event)) continue
      const distance = Math.abs((turn.completedAt ?? turn.startedAt).getTime() - event.occurredAt.getTime())
      if (distance <= MATCH_WINDOW_MS && (best === null || distance < best.distance)) best = { turn, distance }
    }
    if (best !== null) take(best.turn, event)
  }
  return matched
}

/** Same model and the same four token counts (a count either side left out reads as 0). */
function sameCall(turn: JoinableTurn, event: ApiRequestEvent): boolean {
  return (
    turn.model !== null &&
    turn.model === event.model &&
    (turn.inputTokens ?? 0) === (event.inputTokens ?? 0) &&
    (turn.outputTokens ?? 0) === (event.outputTokens ?? 0) &&
    (turn.cacheReadTokens ?? 0) === (event.cacheReadTokens ?? 0) &&
    (turn.cacheCreationTokens ?? 0) === (event.cacheCreationTokens ?? 0)
  )
}

function lastBefore(prompts: readonly UserPromptEvent[], instant: Date): UserPromptEvent | null {
  let last: UserPromptEvent | null = null
  for (const prompt of prompts) if (prompt.occurredAt.getTime() <= instant.getTime()) last = prompt
  return last
}

/** The tool events of a prompt's timeline after `apiRequest` and before the prompt's next API call. */
function toolsAfter(line: ReadonlyArray<ApiRequestEvent | ToolDecisionEvent | ToolResultEvent>, apiRequest: ApiRequestEvent): Array<ToolDecisionEvent | ToolResultEvent> {
  const start = line.indexOf(apiRequest)
  const tools: Array<ToolDecisionEvent | ToolResultEvent> = []
  for (const event of line.slice(start + 1)) {
    if ('model' in event) break
    tools.push(event)
  }
  return tools
}

type ReadEvent =
  | { kind: 'user_prompt'; event: UserPromptEvent }
  | { kind: 'api_request'; event: ApiRequestEvent }
  | { kind: 'tool_decision'; event: ToolDecisionEvent }
  | { kind: 'tool_result'; event: ToolResultEvent }

/** Claude Code sends this in place of the prompt unless OTEL_LOG_USER_PROMPTS is set. */
const REDACTED = '<REDACTED>'

/** The typed reading of the four events the join uses; null for the others (api_error, ...). */
function readEvent({ eventName, promptId, occurredAt, attributes: a }: StoredEvent): ReadEvent | null {
  switch (eventName) {
    case 'user_prompt': {
      const prompt = text(a.prompt)
      return { kind: 'user_prompt', event: { promptId, occurredAt, prompt: prompt === REDACTED ? null : prompt, promptLength: integer(a.prompt_length) } }
    }
    case 'api_request':
      return {
        kind: 'api_request',
        event: {
          promptId,
          occurredAt,
          model: text(a.model),
          costUsd: quantity(a.cost_usd),
          durationMs: quantity(a.duration_ms),
          inputTokens: integer(a.input_tokens),
          outputTokens: integer(a.output_tokens),
          cacheReadTokens: integer(a.cache_read_tokens),
          cacheCreationTokens: integer(a.cache_creation_tokens),
          upstreamRequestId: text(a.request_id),
          requestId: null,
        },
      }
    case 'tool_decision':
      return { kind: 'tool_decision', event: { promptId, occurredAt, toolName: text(a.tool_name), decision: text(a.decision), source: text(a.source) } }
    case 'tool_result':
      return {
        kind: 'tool_result',
        event: {
          promptId,
          occurredAt,
          toolName: text(a.tool_name),
          success: flag(a.success),
          durationMs: quantity(a.duration_ms),
          error: text(a.error),
          toolParameters: text(a.tool_parameters),
          decisionSource: text(a.decision_source),
          decisionType: text(a.decision_type),
        },
      }
    default:
      return null
  }
}
