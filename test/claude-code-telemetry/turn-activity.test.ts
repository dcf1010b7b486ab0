import { describe, expect, it } from 'vitest'
import { joinActivity, type JoinableTurn, type StoredEvent } from '../../server/claude-code-telemetry/turn-activity'

const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, second))
let sequence = 0
const event = (eventName: string, promptId: string | null, second: number, attributes: StoredEvent['attributes'] = {}): StoredEvent => ({ eventName, promptId, sequence: sequence++, occurredAt: at(second), attributes })
const turn = (requestId: string, start: number, end: number, model: string, outputTokens: number): JoinableTurn => ({
  requestId,
  startedAt: at(start),
  completedAt: at(end),
  model,
  upstreamRequestId: null,
  inputTokens: 10,
  outputTokens,
  cacheReadTokens: 0,
  cacheCreationTokens: 0,
})
const apiRequest = (promptId: string, second: number, model: string, outputTokens: number) =>
  event('api_request', promptId, second, { model, input_tokens: '10', output_tokens: String(outputTokens), cache_read_tokens: '0', cache_creation_tokens: '0' })

describe('joinActivity', () => {
  it('gives a request no api_request event matched the last prompt submitted before it started', () => {
    const activity = joinActivity(
      [turn('main', 1, 3, 'claude-opus-4-1', 50), turn('title', 2, 2, 'claude-haiku-4-5', 5)],
      [event('user_prompt', 'p1', 0, { prompt: 'hello', prompt_length: 5 }), apiRequest('p1', 3, 'claude-opus-4-1', 50)],
    )
    expect(activity.byRequest.get('title')).toMatchObject({ promptId: 'p1', apiRequest: null, userPrompt: { prompt: 'hello' } })
    expect(activity.byRequest.get('main')).toMatchObject({ promptId: 'p1', apiRequest: { requestId: 'main' } })
    expect(activity.prompts.map((prompt) => prompt.requestIds)).toEqual([['main', 'title']])
  })

  it('leaves an api_request event unjoined when no request has its model and tokens, or only one far apart in time', () => {
    const activity = joinActivity(
      [turn('a', 0, 1, 'claude-opus-4-1', 50)],
      // One more output token; then the same call, but eleven minutes after the request ended.
      [event('user_prompt', 'p1', 0), apiRequest('p1', 2, 'claude-opus-4-1', 51), { ...apiRequest('p1', 0, 'claude-opus-4-1', 50), occurredAt: new Date(at(1).getTime() + 11 * 60_000) }],
    )
    expect(activity.prompts[0]!.apiRequests.map((request) => request.requestId)).toEqual([null, null])
    expect(activity.byRequest.get('a')).toMatchObject({ promptId: 'p1', apiRequest: null, toolDecisions: [] })
  })

  it('joins each api_request event to the identical call that ended nearest to it, leaving one whose event was lost unjoined', () => {
    const activity = joinActivity(
      [turn('first', 0, 1, 'm', 5), turn('second', 10, 12, 'm', 5), turn('third', 20, 21, 'm', 5)],
      // The first call's event never arrived; the others are listed out of order.
      [event('user_prompt', 'p', 0), apiRequest('p', 21, 'm', 5), apiRequest('p', 12, 'm', 5)],
    )
    expect(activity.prompts[0]!.apiRequests.map((request) => [request.occurredAt.getUTCSeconds(), request.requestId])).toEqual([
      [12, 'second'],
      [21, 'third'],
    ])
    expect(activity.byRequest.get('first')).toMatchObject({ promptId: 'p', apiRequest: null })
  })

  it('gives each request the tool calls between its api_request and the next one of the same prompt', () => {
    const activity = joinActivity(
      [turn('a', 1, 2, 'm', 1), turn('b', 6, 7, 'm', 2)],
      [
        event('user_prompt', 'p', 0),
        apiRequest('p', 2, 'm', 1),
        event('tool_decision', 'p', 3, { tool_name: 'Bash', decision: 'reject', source: 'user_reject' }),
        event('tool_decision', 'other', 4, { tool_name: 'Read', decision: 'accept', source: 'config' }),
        apiRequest('p', 7, 'm', 2),
        event('tool_result', 'p', 8, { tool_name: 'Grep', success: true, duration_ms: 12 }),
      ],
    )
    expect(activity.byRequest.get('a')!.toolDecisions.map((d) => [d.toolName, d.decision, d.source])).toEqual([['Bash', 'reject', 'user_reject']])
    expect(activity.byRequest.get('a')!.toolResults).toEqual([])
    expect(activity.byRequest.get('b')!.toolResults.map((r) => [r.toolName, r.success, r.durationMs])).toEqual([['Grep', true, 12]])
  })
})
