/**
 * Claude Code's own telemetry received over OTLP/HTTP: a session driven through the proxy with the
 * official SDK, its events sent as Claude Code sends them with the official OpenTelemetry exporters
 * (protobuf and JSON), then read back joined to the session's requests through GraphQL.
 */
import { randomUUID } from 'node:crypto'
import type Anthropic from '@anthropic-ai/sdk'
import { SeverityNumber } from '@opentelemetry/api-logs'
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http'
import { OTLPLogExporter as ProtobufLogExporter } from '@opentelemetry/exporter-logs-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { graphql } from '../../client/src/graphql/graphql'
import { DEFAULT_MODEL } from '../support/anthropic-fixtures'
import { queryGraphQL } from '../support/graphql-client'
import { scenario, sdkClient } from '../support/sdk-client'
import { startApp, type TestApp } from '../support/start-app'

const SESSION_ACTIVITY = graphql(`query SessionActivity($sessionId: String!) {
  conversations(filter: { sessionId: $sessionId }, first: 1) {
    nodes {
      requestCount
      claudeCodePrompts {
        promptId requestIds
        userPrompt { prompt promptLength }
        apiRequests { requestId model costUsd durationMs }
        toolDecisions { toolName decision source }
        toolResults { toolName success durationMs error }
      }
      turns {
        requestId
        claudeCode {
          promptId
          userPrompt { prompt }
          apiRequest { requestId upstreamRequestId inputTokens outputTokens cacheReadTokens cacheCreationTokens }
          toolDecisions { toolName decision source }
          toolResults { toolName success durationMs }
        }
      }
    }
  }
}`)

const SESSION_TURN_TIMES = graphql(`query SessionTurnTimes($sessionId: String!) {
  conversations(filter: { sessionId: $sessionId }, first: 1) { nodes { turns { completedAt } } }
}`)

const MODEL = DEFAULT_MODEL

let app: TestApp
let client: Anthropic
beforeAll(async () => {
  app = await startApp()
  client = sdkClient(app.url)
})
afterAll(() => app.close())

type Protocol = 'http/protobuf' | 'http/json'
type AttributeValues = Record<string, string | number>

/**
 * A logger that exports as Claude Code's does: the official SDK, a batch processor, the resource
 * Claude Code sets, and each event a record whose body is `claude_code.<name>` and whose attributes
 * carry event.name, event.timestamp, event.sequence, session.id and prompt.id.
 */
function claudeCodeEventLogger(protocol: Protocol, sessionId: string, options: { numbers: boolean; headers?: Record<string, string> }) {
  const url = `${app.url}/otlp/v1/logs`
  const exporter = protocol === 'http/protobuf' ? new ProtobufLogExporter({ url, headers: options.headers }) : new JsonLogExporter({ url, headers: options.headers })
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'claude-code', 'service.version': '2.1.90', 'os.type': 'linux', 'host.arch': 'x64' }),
    processors: [new BatchLogRecordProcessor({ exporter })],
  })
  const logger = provider.getLogger('com.anthropic.claude_code.events', '2.1.90')
  let sequence = 0
  // Older Claude Code sends every value as a string; newer sends counts and durations as numbers.
  const value = (n: number): string | number => (options.numbers ? n : String(n))
  return {
    value,
    emit(name: string, promptId: string, attributes: AttributeValues, at = new Date()) {
      logger.emit({
        body: `claude_code.${name}`,
        severityNumber: SeverityNumber.INFO,
        attributes: {
          'user.id': 'c0ffee0000000000000000000000000000000000000000000000000000000000',
          'session.id': sessionId,
          'organization.id': '7a1b2c3d-0000-4000-8000-000000000000',
          'user.account_uuid': '5e6f7a8b-0000-4000-8000-000000000000',
          'terminal.type': 'tmux',
          'event.name': name,
          'event.timestamp': at.toISOString(),
          'event.sequence': sequence++,
          'prompt.id': promptId,
          ...attributes,
        },
      })
    },
    flush: () => provider.forceFlush(),
    close: () => provider.shutdown(),
  }
}

interface Turn {
  message: Anthropic.Message
  upstreamRequestId: string
  completedAt: Date
}

/**
 * One call of the session through the proxy, as Claude Code makes it, with the instant the proxy
 * recorded its end: Claude Code stamps its api_request event then, and stamping the test's events
 * there too keeps a join by time from depending on how long this busy process took to read a reply.
 */
async function call(sessionId: string, kind: 'tool-use' | 'text', messages: Anthropic.MessageParam[]): Promise<Turn> {
  const { data, response } = await client.messages
    .create({ model: MODEL, max_tokens: 1024, messages }, scenario(kind, { 'x-claude-code-session-id': sessionId }))
    .withResponse()
  await app.app.capture.flush()
  const { conversations } = await queryGraphQL(app.url, SESSION_TURN_TIMES, { sessionId })
  const completedAt = conversations.nodes[0]?.turns.at(-1)?.completedAt
  if (completedAt == null) throw new Error('the proxy recorded no end for the call')
  return { message: data, upstreamRequestId: response.headers.get('request-id')!, completedAt: new Date(completedAt) }
}

const usageOf = (turn: Turn, value: (n: number) => string | number): AttributeValues => ({
  model: MODEL,
  input_tokens: value(turn.message.usage.input_tokens),
  output_tokens: value(turn.message.usage.output_tokens),
  cache_read_tokens: value(turn.message.usage.cache_read_input_tokens ?? 0),
  cache_creation_tokens: value(turn.message.usage.cache_creation_input_tokens ?? 0),
  cost_usd: value(0.0123),
  duration_ms: value(850),
  speed: 'normal',
})

describe.each([
  { protocol: 'http/protobuf' as const, numbers: true },
  { protocol: 'http/json' as const, numbers: false },
])('Claude Code events over $protocol', ({ protocol, numbers }) => {
  it('joins each prompt, tool decision and tool result to the requests of the session that they belong to', async () => {
    const sessionId = randomUUID()
    const events = claudeCodeEventLogger(protocol, sessionId, { numbers })
    const { value } = events
    const [first, second] = [randomUUID(), randomUUID()]

    // First prompt: a tool call the configuration allows, then the answer.
    events.emit('user_prompt', first, { prompt: 'fix the failing build', prompt_length: value(21) })
    const history: Anthropic.MessageParam[] = [{ role: 'user', content: 'fix the failing build' }]
    const a = await call(sessionId, 'tool-use', history)
    // Newer versions name the API's request id: this one is joined by it.
    events.emit('api_request', first, { ...usageOf(a, value), request_id: a.upstreamRequestId }, a.completedAt)
    events.emit('tool_decision', first, { tool_name: 'Bash', decision: 'accept', source: 'config' })
    events.emit('tool_result', first, { tool_name: 'Bash', success: 'true', duration_ms: value(1234), tool_parameters: '{"bash_command":"npm"}', decision_source: 'config', decision_type: 'accept' })
    history.push({ role: 'assistant', content: a.message.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUseId(a), content: 'build ok' }] })
    const b = await call(sessionId, 'text', history)
    events.emit('api_request', first, usageOf(b, value), b.completedAt)

    // Second prompt: the same kind of call (same model and tokens as the first): joined by time.
    events.emit('user_prompt', second, { prompt: '<REDACTED>', prompt_length: value(13) })
    history.push({ role: 'assistant', content: b.message.content }, { role: 'user', content: 'now run tests' })
    const c = await call(sessionId, 'tool-use', history)
    events.emit('api_request', second, usageOf(c, value), c.completedAt)
    events.emit('tool_decision', second, { tool_name: 'Edit', decision: 'reject', source: 'user_reject' })
    events.emit('tool_decision', second, { tool_name: 'Read', decision: 'accept', source: 'user_temporary' })
    events.emit('tool_result', second, { tool_name: 'Read', success: 'false', duration_ms: value(7), error: 'File does not exist.' })
    history.push({ role: 'assistant', content: c.message.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUseId(c), content: 'rejected', is_error: true }] })
    const d = await call(sessionId, 'text', history)
    events.emit('api_request', second, usageOf(d, value), d.completedAt)

    await events.flush()
    await events.close()
    await app.app.capture.flush()

    const { conversations } = await queryGraphQL(app.url, SESSION_ACTIVITY, { sessionId })
    const conversation = conversations.nodes[0]!
    expect(conversation.requestCount).toBe(4)
    const requestIds = conversation.turns.map((turn) => turn.requestId)
    expect(requestIds).toHaveLength(4)
    const [ra, rb, rc, rd] = requestIds

    expect(conversation.claudeCodePrompts).toEqual([
      {
        promptId: first,
        requestIds: [ra, rb],
        userPrompt: { prompt: 'fix the failing build', promptLength: 21 },
        apiRequests: [
          { requestId: ra, model: MODEL, costUsd: 0.0123, durationMs: 850 },
          { requestId: rb, model: MODEL, costUsd: 0.0123, durationMs: 850 },
        ],
        toolDecisions: [{ toolName: 'Bash', decision: 'accept', source: 'config' }],
        toolResults: [{ toolName: 'Bash', success: true, durationMs: 1234, error: null }],
      },
      {
        promptId: second,
        requestIds: [rc, rd],
        userPrompt: { prompt: null, promptLength: 13 },
        apiRequests: [
          { requestId: rc, model: MODEL, costUsd: 0.0123, durationMs: 850 },
          { requestId: rd, model: MODEL, costUsd: 0.0123, durationMs: 850 },
        ],
        toolDecisions: [
          { toolName: 'Edit', decision: 'reject', source: 'user_reject' },
          { toolName: 'Read', decision: 'accept', source: 'user_temporary' },
        ],
        toolResults: [{ toolName: 'Read', success: false, durationMs: 7, error: 'File does not exist.' }],
      },
    ])

    const [ta, tb, tc, td] = conversation.turns.map((turn) => turn.claudeCode!)
    expect(ta).toEqual({
      promptId: first,
      userPrompt: { prompt: 'fix the failing build' },
      apiRequest: { requestId: ra, upstreamRequestId: a.upstreamRequestId, inputTokens: a.message.usage.input_tokens, outputTokens: a.message.usage.output_tokens, cacheReadTokens: a.message.usage.cache_read_input_tokens, cacheCreationTokens: a.message.usage.cache_creation_input_tokens },
      toolDecisions: [{ toolName: 'Bash', decision: 'accept', source: 'config' }],
      toolResults: [{ toolName: 'Bash', success: true, durationMs: 1234 }],
    })
    expect(tb).toMatchObject({ promptId: first, apiRequest: { requestId: rb, upstreamRequestId: null }, toolDecisions: [], toolResults: [] })
    expect(tc).toMatchObject({
      promptId: second,
      userPrompt: { prompt: null },
      apiRequest: { requestId: rc },
      toolDecisions: [
        { toolName: 'Edit', decision: 'reject', source: 'user_reject' },
        { toolName: 'Read', decision: 'accept', source: 'user_temporary' },
      ],
      toolResults: [{ toolName: 'Read', success: false, durationMs: 7 }],
    })
    expect(td).toMatchObject({ promptId: second, apiRequest: { requestId: rd }, toolDecisions: [], toolResults: [] })
  })
})

function toolUseId(turn: Turn): string {
  const block = turn.message.content.find((content) => content.type === 'tool_use')
  if (block?.type !== 'tool_use') throw new Error('the tool-use scenario answered without a tool_use block')
  return block.id
}
