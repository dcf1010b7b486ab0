/**
 * Cache forensics through a whole Claudescope: a session's turns sent with the official SDK to the
 * mock upstream, whose every answer reports 4,096 cache reads and 2,048 cache writes (1,536 for 5
 * minutes, 512 for an hour). So each turn after the first could have read the 6,144 tokens its
 * previous turn cached, read 4,096, and wrote 2,048 it missed: 512 1-hour and 1,536 5-minute ones.
 */
import { randomUUID } from 'node:crypto'
import type Anthropic from '@anthropic-ai/sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { graphql } from '../../client/src/graphql/graphql'
import { queryGraphQL } from '../support/graphql-client'
import { sdkClient } from '../support/sdk-client'
import { startApp, type TestApp } from '../support/start-app'
import { waitFor } from '../support/wait'

const CACHE_MISSES = graphql(`query CacheMissesOfSession($filter: ConversationFilter) {
  conversations(filter: $filter, first: 1) {
    nodes {
      requestCount
      cacheMisses { requests missedTokens missCostUsdExact unpricedRequests byReason { reason requests missedTokens missCostUsdExact } }
      requests(first: 10) {
        nodes {
          id upstreamRequestId costStatus
          cacheMiss { reason causes previousRequestId ttlSeconds expectedReadTokens cacheReadTokens cacheWriteTokens missedTokens missed1hTokens missed5mTokens missCostUsdExact }
        }
      }
    }
  }
}`)

let app: TestApp
let client: Anthropic
beforeAll(async () => {
  app = await startApp()
  client = sdkClient(app.url)
})
afterAll(() => app?.close())

const hourMark = { type: 'ephemeral' as const, ttl: '1h' as const }
const tools = (description: string): Anthropic.Tool[] => [{ name: 'Read', description, input_schema: { type: 'object', properties: { path: { type: 'string' } } } }]
const system = (text: string): Anthropic.TextBlockParam[] => [{ type: 'text', text, cache_control: hourMark }]
const user = (text: string, marked = false): Anthropic.MessageParam => ({ role: 'user', content: [{ type: 'text', text, ...(marked ? { cache_control: hourMark } : {}) }] })
const assistant = (text: string): Anthropic.MessageParam => ({ role: 'assistant', content: text })

describe('cache forensics through the proxy', () => {
  it('tells each turn of a session why it missed the cache and what that cost, and sums the conversation by reason', async () => {
    const session = randomUUID()
    const send = async (model: string, toolText: string, systemText: string, messages: Anthropic.MessageParam[]) => {
      const params = { model, max_tokens: 256, tools: tools(toolText), system: system(systemText), messages }
      const { response } = await client.messages.create(params, { headers: { 'x-claude-code-session-id': session } }).withResponse()
      return response.headers.get('request-id')!
    }
    const first = await send('claude-sonnet-4-6', 'Reads a file', 'You are a helper.', [user('Plan a trip', true)])
    const systemChanged = await send('claude-sonnet-4-6', 'Reads a file', 'You are a travel agent.', [user('Plan a trip'), assistant('Where to?'), user('Lisbon', true)])
    const toolsChanged = await send('claude-sonnet-4-6', 'Reads a file from disk', 'You are a travel agent.', [
      user('Plan a trip'), assistant('Where to?'), user('Lisbon'), assistant('When?'), user('In May', true),
    ])
    const edited = await send('claude-sonnet-4-6', 'Reads a file from disk', 'You are a travel agent.', [user('Plan a trip'), assistant('Which city?'), user('Porto', true)])
    const modelChanged = await send('claude-haiku-4-5', 'Reads a file from disk', 'You are a travel agent.', [
      user('Plan a trip'), assistant('Which city?'), user('Porto'), assistant('When?'), user('In June', true),
    ])

    const conversation = await waitFor(async () => {
      const data = await queryGraphQL(app.url, CACHE_MISSES, { filter: { sessionId: session } })
      const found = data.conversations.nodes[0]
      return found?.requestCount === 5 && found.requests.nodes.every((request) => request.costStatus === 'PRICED') ? found : null
    }, 'the five turns of the session, grouped and priced')
    const requestOf = (upstreamId: string) => conversation.requests.nodes.find((request) => request.upstreamRequestId === upstreamId)!
    const missOf = (upstreamId: string) => requestOf(upstreamId).cacheMiss
    const after = (upstreamId: string) => ({ previousRequestId: requestOf(upstreamId).id })

    expect(missOf(first)).toMatchObject({ reason: 'FIRST_TURN', previousRequestId: null, cacheWriteTokens: 2048, missedTokens: 0, missCostUsdExact: '0' })
    // Sonnet 4.5: 1,536 x ($3.75 - $0.30) + 512 x ($6 - $0.30) = 5,299.2 + 2,918.4 = 8,217.6 per million tokens.
    const sonnetMiss = { expectedReadTokens: 6144, cacheReadTokens: 4096, cacheWriteTokens: 2048, missedTokens: 2048, missed1hTokens: 512, missed5mTokens: 1536, missCostUsdExact: '0.0082176', ttlSeconds: 3600 }
    expect(missOf(systemChanged)).toMatchObject({ reason: 'SYSTEM_CHANGED', causes: ['SYSTEM_CHANGED'], ...after(first), ...sonnetMiss })
    expect(missOf(toolsChanged)).toMatchObject({ reason: 'TOOLS_CHANGED', causes: ['TOOLS_CHANGED'], ...after(systemChanged), ...sonnetMiss })
    expect(missOf(edited)).toMatchObject({ reason: 'MESSAGES_EDITED', causes: ['MESSAGES_EDITED'], ...after(toolsChanged), ...sonnetMiss })
    // Haiku 4.5, its own price row: 1,536 x ($1.25 - $0.10) + 512 x ($2 - $0.10) = 1,766.4 + 972.8 = 2,739.2 per million tokens.
    expect(missOf(modelChanged)).toMatchObject({ reason: 'MODEL_CHANGED', causes: ['MODEL_CHANGED'], ...after(edited), missedTokens: 2048, missCostUsdExact: '0.0027392' })

    // 3 x 0.0082176 + 0.0027392
    expect(conversation.cacheMisses).toEqual({
      requests: 5,
      missedTokens: 4 * 2048,
      missCostUsdExact: '0.027392',
      unpricedRequests: 0,
      byReason: [
        { reason: 'TOOLS_CHANGED', requests: 1, missedTokens: 2048, missCostUsdExact: '0.0082176' },
        { reason: 'SYSTEM_CHANGED', requests: 1, missedTokens: 2048, missCostUsdExact: '0.0082176' },
        { reason: 'MESSAGES_EDITED', requests: 1, missedTokens: 2048, missCostUsdExact: '0.0082176' },
        { reason: 'MODEL_CHANGED', requests: 1, missedTokens: 2048, missCostUsdExact: '0.0027392' },
        { reason: 'FIRST_TURN', requests: 1, missedTokens: 0, missCostUsdExact: '0' },
      ],
    })
  })
})
