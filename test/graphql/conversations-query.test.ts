import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { graphql, type ResultOf } from '../../client/src/graphql/graphql'
import { createBatchGrouping } from '../../server/conversations/batch-grouping'
import { createLogger } from '../../server/logger'
import { createCaptureStore } from '../../server/store/capture-store'
import { inFlightRecord } from '../capture/records'
import { queryGraphQL } from '../support/graphql-client'
import { startGraphQLHarness, type GraphQLHarness } from '../support/graphql-harness'
import { NO_CHUNKS } from '../../server/records/capture-op'

let harness: GraphQLHarness
beforeAll(async () => {
  harness = await startGraphQLHarness()
})
afterAll(() => harness.close())

const LIST = graphql(`query ConversationPage($first: Int, $after: String, $filter: ConversationFilter) {
  conversations(first: $first, after: $after, filter: $filter) {
    totalCount
    nodes { id sessionId title requestCount }
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}`)

const OF_REQUEST = graphql(`query RequestConversation($id: ID!) { request(id: $id) { id conversation { id sessionId } } }`)
const REQUESTS_OF = graphql(`query RequestsOfConversation($id: ID!) { requests(filter: { conversationId: $id }) { totalCount nodes { id } } }`)

/** Stores one request per session through the capture store with grouping, the minutes apart given. */
async function storeSessions(prefix: string, count: number): Promise<{ sessionIds: string[]; requestIds: string[] }> {
  const store = createCaptureStore(harness.dataSource, createBatchGrouping({ dataSource: harness.dataSource, bus: harness.bus, logger: createLogger('silent') }))
  const sessionIds: string[] = []
  const requestIds: string[] = []
  for (let i = 0; i < count; i++) {
    const sessionId = randomUUID()
    const requestBody = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 10, tools: [{ name: 'Read' }], messages: [{ role: 'user', content: `${prefix} prompt ${i}` }] })
    const record = inFlightRecord({ status: 'COMPLETED', startedAt: new Date(Date.UTC(2026, 1, 1, 0, i)), requestHeaders: { 'x-claude-code-session-id': sessionId }, requestBody, requestBodyBytes: Buffer.byteLength(requestBody), requestBodyIsJson: true })
    await store.writeBatch([{ kind: 'complete', record, chunks: NO_CHUNKS }], () => false)
    sessionIds.push(sessionId)
    requestIds.push(record.id)
  }
  return { sessionIds, requestIds }
}

describe('conversations query', () => {
  it('walks every conversation once, most recently active first, in pages of two', async () => {
    const prefix = randomUUID()
    const { sessionIds } = await storeSessions(prefix, 5)
    const filter = { search: prefix }
    const seen: string[] = []
    let after: string | null = null
    for (;;) {
      const data: ResultOf<typeof LIST> = await queryGraphQL(harness.url, LIST, { first: 2, after, filter })
      expect(data.conversations.totalCount).toBe(5)
      expect(data.conversations.pageInfo.hasPreviousPage).toBe(after !== null)
      seen.push(...data.conversations.nodes.map((node) => node.sessionId!))
      if (!data.conversations.pageInfo.hasNextPage) break
      after = data.conversations.pageInfo.endCursor
    }
    expect(seen).toEqual([...sessionIds].reverse())
  })

  it('refuses a page above 200 and a cursor it did not make, naming the argument', async () => {
    await expect(queryGraphQL(harness.url, LIST, { first: 201 })).rejects.toThrow(/first must be between 0 and 200/)
    await expect(queryGraphQL(harness.url, LIST, { after: 'bm90IGEgY3Vyc29y' })).rejects.toThrow(/INVALID_CURSOR|not a cursor/)
  })

  it('finds a request\'s conversation and the requests of a conversation', async () => {
    const { sessionIds, requestIds } = await storeSessions(randomUUID(), 1)
    const data = await queryGraphQL(harness.url, OF_REQUEST, { id: requestIds[0]! })
    expect(data.request!.conversation!.sessionId).toBe(sessionIds[0])
    const requests = await queryGraphQL(harness.url, REQUESTS_OF, { id: data.request!.conversation!.id })
    expect(requests.requests.totalCount).toBe(1)
    expect(requests.requests.nodes.map((node) => node.id)).toEqual(requestIds)
    expect((await queryGraphQL(harness.url, REQUESTS_OF, { id: 'not-a-uuid' })).requests.totalCount).toBe(0)
  })

  it('answers null for a conversation that does not exist', async () => {
    const data = await queryGraphQL(harness.url, graphql('query NoConversation($id: ID!) { conversation(id: $id) { id } }'), { id: randomUUID() })
    expect(data.conversation).toBeNull()
  })
})
