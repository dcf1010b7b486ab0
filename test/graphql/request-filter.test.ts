import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { graphql } from '../../client/src/graphql/graphql'
import type { RequestRecord } from '../../server/records/request-record'
import { matchesRequestFilter, type RequestFilterValues } from '../../server/requests/request-filter'
import { RequestsService } from '../../server/requests/requests.service'
import { queryGraphQL } from '../support/graphql-client'
import { makeRecord } from '../support/record-fixtures'
import { startGraphQLHarness, type GraphQLHarness } from '../support/graphql-harness'
import { storeRecords } from '../support/stored-records'

const at = (second: number) => new Date(Date.UTC(2025, 5, 1, 12, 0, second))
const body = (text: string) => JSON.stringify({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: text }] })

/** One request per interesting value of every filtered field. */
const corpus: RequestRecord[] = [
  makeRecord({ startedAt: at(1), requestBody: body('Hello World'), durationMs: 2500, apiKeyFingerprint: 'key:aaaa' }),
  makeRecord({
    startedAt: at(2),
    model: 'claude-haiku-4-5',
    status: 'FAILED',
    httpStatus: 529,
    stream: false,
    path: '/v1/messages/count_tokens',
    durationMs: 100,
    apiKeyFingerprint: 'key:bbbb',
    responseBody: '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
  }),
  makeRecord({ startedAt: at(3), method: 'GET', model: null, stream: false, path: '/v1/models', durationMs: null, apiKeyFingerprint: null, requestBody: '' }),
  makeRecord({ startedAt: at(4), status: 'IN_FLIGHT', httpStatus: null, durationMs: null, responseBody: null, requestBody: body("I'm 100% sure about snake_case") }),
  makeRecord({ startedAt: at(5), status: 'ABORTED', httpStatus: 200, durationMs: 900, requestBody: body('see C:\\\\temp\\\\file') }),
  makeRecord({ startedAt: at(6), requestBody: body('ÉCOLE normale'), durationMs: 2499.5 }),
  makeRecord({ startedAt: at(7), requestBody: body("x'; drop table requests; --"), model: 'claude-opus-4-1' }),
  makeRecord({ startedAt: at(8), model: 'gpt-4.1', provider: 'openai', path: '/v1/chat/completions' }),
  makeRecord({ startedAt: at(9), model: 'claude-haiku-4-5', routedModel: 'qwen3', provider: 'local' }),
]

const filters: [string, RequestFilterValues][] = [
  ['no condition', {}],
  ['from, inclusive', { from: at(2) }],
  ['to, exclusive', { to: at(2) }],
  ['a time window', { from: at(2), to: at(5) }],
  ['one model', { models: ['claude-haiku-4-5'] }],
  ['several models', { models: ['claude-sonnet-4-5', 'claude-opus-4-1'] }],
  ['an empty model list', { models: [] }],
  ['statuses', { statuses: ['FAILED', 'ABORTED'] }],
  ['in flight', { statuses: ['IN_FLIGHT'] }],
  ['HTTP statuses', { httpStatuses: [529] }],
  ['streams only', { stream: true }],
  ['non-streams only', { stream: false }],
  ['an API key', { apiKeyFingerprint: 'key:bbbb' }],
  ['a path', { path: '/v1/models' }],
  ['minimum duration', { minDurationMs: 2499.5 }],
  ['search in a request body, any case', { search: 'hello WORLD' }],
  ['search in a response body', { search: 'overloaded_error' }],
  ['search with non-ASCII case folding', { search: 'école' }],
  ['search with non-ASCII case folding, long enough for the search index', { search: 'école NORMALE' }],
  ['search for a literal %', { search: '100%' }],
  ['search for a lone %', { search: '%' }],
  ['search for a literal _', { search: 'snake_case' }],
  ['search for a lone _', { search: '_' }],
  ['search for a backslash', { search: '\\\\' }],
  ['search for SQL', { search: "'; drop table requests; --" }],
  ['an empty search', { search: '' }],
  ['one provider', { providers: ['openai'] }],
  ['Anthropic only', { providers: ['anthropic'] }],
  ['several providers', { providers: ['openai', 'local'] }],
  ['an empty provider list', { providers: [] }],
  ['everything at once', { from: at(1), to: at(8), models: ['claude-sonnet-4-5'], statuses: ['COMPLETED'], httpStatuses: [200], stream: true, search: 'e', minDurationMs: 1000 }],
]

describe('request filter', () => {
  let harness: GraphQLHarness
  let service: RequestsService

  beforeAll(async () => {
    harness = await startGraphQLHarness()
    service = new RequestsService(harness.dataSource)
    await storeRecords(harness.dataSource, corpus)
  })
  afterAll(() => harness.close())

  it.each(filters)('selects the same requests in SQL and in memory: %s', async (_name, filter) => {
    const page = await service.list(filter, 200)
    const inMemory = corpus.filter((record) => matchesRequestFilter(filter, record)).map((r) => r.id)
    expect(page.nodes.map((n) => n.id).sort()).toEqual([...inMemory].sort())
    expect(await service.count(filter)).toBe(inMemory.length)
  })

  it.each(filters.filter(([, filter]) => filter.search))('selects the same requests when more body parts match than are named to the query: %s', async (_name, filter) => {
    // Every matching part is over the limit, so the parts are looked up per request.
    const perRequest = new RequestsService(harness.dataSource, { searchPartsLimit: 0 })
    const inMemory = corpus.filter((record) => matchesRequestFilter(filter, record)).map((r) => r.id)
    expect((await perRequest.list(filter, 200)).nodes.map((n) => n.id).sort()).toEqual([...inMemory].sort())
    expect(await perRequest.count(filter)).toBe(inMemory.length)
  })

  it.each([
    ['read through the body indexes and sorted', {}],
    ['found walking the newest requests', { sparseSearchLimit: 0 }],
  ])('pages a search newest first, two at a time, when its matches are %s', async (_how, options) => {
    const pager = new RequestsService(harness.dataSource, options)
    const filter = { search: 'e' }
    const newestFirst = corpus
      .filter((record) => matchesRequestFilter(filter, record))
      .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || (a.id < b.id ? 1 : -1))
      .map((r) => r.id)
    expect(newestFirst.length).toBeGreaterThan(4)
    const paged: string[] = []
    let after: string | null = null
    do {
      const page = await pager.list(filter, 2, after)
      paged.push(...page.nodes.map((n) => n.id))
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null
    } while (after)
    expect(paged).toEqual(newestFirst)
  })

  it('treats hostile search text as plain text and leaves the table intact', async () => {
    const { requests } = await queryGraphQL(
      harness.url,
      graphql(`query FilteredCount($f: RequestFilter) { requests(filter: $f) { totalCount } }`),
      { f: { search: "'; drop table requests; --" } },
    )
    expect(requests.totalCount).toBe(1)
    expect(await service.count({})).toBe(corpus.length)
  })

  it('looks up the body parts holding a search once for a page and its totalCount', async () => {
    const query = vi.spyOn(harness.dataSource, 'query')
    try {
      const { requests } = await queryGraphQL(
        harness.url,
        graphql(`query SearchedPageAndCount($f: RequestFilter) { requests(filter: $f) { totalCount nodes { id } } }`),
        { f: { search: 'hello world' } },
      )
      expect(requests.nodes.map((n) => n.id)).toEqual([corpus[0]!.id])
      expect(requests.totalCount).toBe(1)
      expect(query.mock.calls.filter(([sql]) => sql.includes('search_keys'))).toHaveLength(1)
    } finally {
      query.mockRestore()
    }
  })

  it('accepts every condition through GraphQL variables', async () => {
    const { requests } = await queryGraphQL(
      harness.url,
      graphql(`query FilteredIds($f: RequestFilter) { requests(filter: $f) { nodes { id } } }`),
      {
        f: {
          from: '2025-06-01T12:00:01Z',
          to: '2025-06-01T12:00:08Z',
          models: ['claude-sonnet-4-5'],
          statuses: ['COMPLETED'],
          httpStatuses: [200],
          stream: true,
          apiKeyFingerprint: 'key:aaaa',
          path: '/v1/messages',
          search: 'hello',
          minDurationMs: 2000,
          providers: ['anthropic'],
        },
      },
    )
    expect(requests.nodes.map((n) => n.id)).toEqual([corpus[0]!.id])
  })

  it('treats an unknown field as not matching when only part of a request is known', () => {
    const chunkFacts = { id: corpus[0]!.id, model: 'claude-sonnet-4-5', path: '/v1/messages', stream: true, apiKeyFingerprint: null }
    expect(matchesRequestFilter({ models: ['claude-sonnet-4-5'], stream: true }, chunkFacts)).toBe(true)
    expect(matchesRequestFilter({ from: at(0) }, chunkFacts)).toBe(false)
    expect(matchesRequestFilter({ search: 'hello' }, chunkFacts)).toBe(false)
  })
})
