import { randomUUID } from 'node:crypto'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { print } from 'graphql'
import { graphql, type ResultOf } from '../../client/src/graphql/graphql'
import type { RequestRecord } from '../../server/records/request-record'
import { queryGraphQL } from '../support/graphql-client'
import { inFlight, makeChunk, makeRecord } from '../support/record-fixtures'
import { startGraphQLHarness, type GraphQLHarness } from '../support/graphql-harness'
import { storeRecords } from '../support/stored-records'

const at = (second: number) => new Date(Date.UTC(2025, 5, 1, 12, 0, second))
/** A key fingerprint no other test uses: filtering on it gives a test its own rows in the shared database. */
const ownKey = () => `key:${randomUUID().slice(0, 8)}`

let harness: GraphQLHarness
beforeAll(async () => {
  harness = await startGraphQLHarness()
})
afterAll(() => harness.close())

const PAGE = graphql(`query Page($first: Int, $after: String, $filter: RequestFilter) {
  requests(first: $first, after: $after, filter: $filter) {
    totalCount
    nodes { id }
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`)
type Page = ResultOf<typeof PAGE>

/** A cursor in the list's own encoding, whatever its parts hold. */
const cursorOf = (startedAt: string, id = '0190e7a2-0000-7000-8000-000000000000') => Buffer.from(JSON.stringify([startedAt, id])).toString('base64url')

async function postRaw(url: string, body: unknown) {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.status, json: (await res.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] } }
}

describe('requests query: pagination', () => {
  const key = ownKey()
  const filter = { apiKeyFingerprint: key }
  /** 7 requests; two pairs share a start instant so only the id breaks the tie. */
  const records: RequestRecord[] = [0, 1, 1, 2, 3, 3, 4].map((second) => makeRecord({ startedAt: at(second), apiKeyFingerprint: key }))

  beforeAll(() => storeRecords(harness.dataSource, records))

  const newestFirst = () =>
    [...records].sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || (a.id < b.id ? 1 : -1)).map((r) => r.id)

  it('walks every request exactly once, newest first, across pages of two', async () => {
    const seen: string[] = []
    let after: string | null = null
    let pages = 0
    for (;;) {
      const page: Page = await queryGraphQL(harness.url, PAGE, { first: 2, after, filter })
      pages++
      expect(page.requests.totalCount).toBe(7)
      expect(page.requests.nodes.map((n) => n.id)).toEqual(page.requests.edges.map((e) => e.node.id))
      expect(page.requests.pageInfo.hasPreviousPage).toBe(after !== null)
      expect(page.requests.pageInfo.startCursor).toBe(page.requests.edges[0]?.cursor ?? null)
      seen.push(...page.requests.nodes.map((n) => n.id))
      if (!page.requests.pageInfo.hasNextPage) break
      after = page.requests.pageInfo.endCursor
    }
    expect(pages).toBe(4)
    expect(seen).toEqual(newestFirst())
  })

  it('returns 50 by default', async () => {
    const manyKey = ownKey()
    const many = Array.from({ length: 60 }, (_, i) => makeRecord({ startedAt: new Date(Date.UTC(2024, 0, 1, 0, 0, i)), apiKeyFingerprint: manyKey }))
    await storeRecords(harness.dataSource, many)
    const page = await queryGraphQL(harness.url, PAGE, { filter: { apiKeyFingerprint: manyKey } })
    expect(page.requests.nodes).toHaveLength(50)
    expect(page.requests.pageInfo.hasNextPage).toBe(true)
    expect(page.requests.totalCount).toBe(60)
  })

  it('returns an empty page with no cursors when first is 0', async () => {
    const page = await queryGraphQL(harness.url, PAGE, { first: 0, filter })
    expect(page.requests.nodes).toEqual([])
    expect(page.requests.pageInfo).toMatchObject({ hasNextPage: true, startCursor: null, endCursor: null })
  })

  it('refuses a page larger than 200 with a clear error', async () => {
    const { json } = await postRaw(harness.url, { query: print(PAGE), variables: { first: 201 } })
    expect(json.errors?.[0]?.message).toBe('first must be between 0 and 200 (got 201)')
    expect(json.errors?.[0]?.extensions?.code).toBe('PAGE_SIZE_OUT_OF_RANGE')
  })

  it.each([
    ['not base64 JSON', 'nonsense!'],
    ['a JSON array of the wrong shape', Buffer.from('["x"]').toString('base64url')],
    ['a cursor with a hostile timestamp', Buffer.from(JSON.stringify(["2025'; drop table requests; --", '0190e7a2-0000-7000-8000-000000000000'])).toString('base64url')],
    ['a cursor with a hostile id', cursorOf('2025-06-01T12:00:00.000000Z', "0190e7a2-0000-7000-8000-000000000000'); drop table requests; --")],
    ['a cursor whose date has month 13', cursorOf('2025-13-01T12:00:00.000000Z')],
    ['a cursor whose date is February 30th', cursorOf('2025-02-30T12:00:00.000000Z')],
    ['a cursor whose date has hour 25', cursorOf('2025-06-01T25:00:00.000000Z')],
    ['a cursor in year 0', cursorOf('0000-06-01T12:00:00.000000Z')],
    ['a cursor with a year beyond four digits', cursorOf('+275760-09-13T00:00:00.000000Z')],
  ])('refuses an after cursor that is %s', async (_what, after) => {
    const { json } = await postRaw(harness.url, { query: print(PAGE), variables: { after } })
    expect(json.errors?.[0]?.extensions?.code).toBe('INVALID_CURSOR')
    expect(json.errors?.[0]?.message).toContain('pageInfo.endCursor')
  })

  it('answers any garbage cursor with INVALID_CURSOR or a page, never an internal error', async () => {
    const garbage = fc.oneof(
      fc.string(),
      fc.uint8Array({ maxLength: 80 }).map((bytes) => Buffer.from(bytes).toString('base64url')),
      fc.tuple(fc.string(), fc.string()).map((parts) => Buffer.from(JSON.stringify(parts)).toString('base64url')),
      fc
        .tuple(fc.nat(9999), fc.nat(99), fc.nat(99), fc.nat(99), fc.nat(99), fc.nat(99))
        .map((fields) => fields.map((n, i) => String(n).padStart(i === 0 ? 4 : 2, '0')))
        .map(([y, mo, d, h, mi, s]) => cursorOf(`${y}-${mo}-${d}T${h}:${mi}:${s}.123456Z`)),
    )
    await fc.assert(
      fc.asyncProperty(garbage, async (after) => {
        const { json } = await postRaw(harness.url, { query: print(PAGE), variables: { after, first: 1, filter } })
        expect(json.errors?.[0]?.extensions?.code ?? 'page').toMatch(/^(INVALID_CURSOR|page)$/)
      }),
      { numRuns: 60, seed: 7 },
    )
  })
})

describe('requests query: one request', () => {
  const FULL = graphql(`query One($id: ID!) {
    request(id: $id) {
      id upstreamRequestId startedAt completedAt method path query userAgent model routedModel provider
      stream status httpStatus stopReason error errorCode responseHeadersMs ttfbMs durationMs
      usage { inputTokens outputTokens cacheCreationInputTokens cacheCreation5mInputTokens cacheCreation1hInputTokens
              cacheReadInputTokens thinkingTokens webSearchRequests webFetchRequests serviceTier }
      requestHeaders requestBody requestBodyText requestBodyBytes responseHeaders responseBody responseBodyText
      responseSse responseBodyBytes apiKeyFingerprint organizationId
      chunks { requestId seq event data offsetMs bytes }
    }
  }`)

  it('returns every field of a stored request, with ISO dates and token counts beyond 32 bits', async () => {
    const bigTokens = 2 ** 40 + 7
    const record = makeRecord({
      query: 'beta=true',
      routedModel: 'gpt-4.1',
      usage: { ...makeRecord().usage!, inputTokens: bigTokens, cacheReadInputTokens: 3_000_000_000 },
    })
    const chunks = [0, 1, 2].map((seq) => makeChunk(record.id, seq))
    await storeRecords(harness.dataSource, [record], chunks)
    const { request } = await queryGraphQL(harness.url, FULL, { id: record.id })
    expect(request).toEqual({
      id: record.id,
      upstreamRequestId: record.upstreamRequestId,
      startedAt: '2025-06-01T12:00:00.000Z',
      completedAt: '2025-06-01T12:00:02.500Z',
      method: 'POST',
      path: '/v1/messages',
      query: 'beta=true',
      userAgent: record.userAgent,
      model: record.model,
      routedModel: 'gpt-4.1',
      provider: 'anthropic',
      stream: true,
      status: 'COMPLETED',
      httpStatus: 200,
      stopReason: 'end_turn',
      error: null,
      errorCode: null,
      responseHeadersMs: 120.5,
      ttfbMs: 130.25,
      durationMs: 2500,
      usage: {
        inputTokens: bigTokens,
        outputTokens: 5,
        cacheCreationInputTokens: 0,
        cacheCreation5mInputTokens: 0,
        cacheCreation1hInputTokens: 0,
        cacheReadInputTokens: 3_000_000_000,
        thinkingTokens: null,
        webSearchRequests: null,
        webFetchRequests: null,
        serviceTier: 'standard',
      },
      requestHeaders: record.requestHeaders,
      requestBody: JSON.parse(record.requestBody),
      requestBodyText: record.requestBody,
      requestBodyBytes: record.requestBodyBytes,
      responseHeaders: record.responseHeaders,
      responseBody: JSON.parse(record.responseBody!),
      responseBodyText: record.responseBody,
      responseSse: record.responseSse,
      responseBodyBytes: record.responseBodyBytes,
      apiKeyFingerprint: record.apiKeyFingerprint,
      organizationId: record.organizationId,
      chunks,
    })
  })

  it('keeps a body that is not JSON as text, and integers beyond 2^53 exact in requestBodyText', async () => {
    const invalid = makeRecord({ requestBody: '{"model": oops', requestBodyIsJson: false })
    const hugeInteger = '{"tool_input":{"id":12345678901234567890}}'
    const huge = makeRecord({ requestBody: hugeInteger })
    await storeRecords(harness.dataSource, [invalid, huge])
    const q = graphql(`query BodyOf($id: ID!) { request(id: $id) { requestBody requestBodyText } }`)
    expect((await queryGraphQL(harness.url, q, { id: invalid.id })).request).toEqual({
      requestBody: '{"model": oops',
      requestBodyText: '{"model": oops',
    })
    const { request } = await queryGraphQL(harness.url, q, { id: huge.id })
    expect(request?.requestBodyText).toBe(hugeInteger)
  })

  it('answers null for an unknown id and for an id that is not a UUID', async () => {
    const q = graphql(`query IdOf($id: ID!) { request(id: $id) { id } }`)
    expect(await queryGraphQL(harness.url, q, { id: makeRecord().id })).toEqual({ request: null })
    expect(await queryGraphQL(harness.url, q, { id: "x'; drop table requests; --" })).toEqual({ request: null })
  })

  it('serves bodies and chunks of every node of a page', async () => {
    const key = ownKey()
    const records = [1, 2, 3].map((second) => makeRecord({ startedAt: at(second), requestBody: `{"n":${second}}`, apiKeyFingerprint: key }))
    await storeRecords(harness.dataSource, records, records.map((r) => makeChunk(r.id, 0)))
    const page = await queryGraphQL(
      harness.url,
      graphql(`query PageBodies($f: RequestFilter) { requests(filter: $f, first: 10) { nodes { id requestBody responseSse chunks { requestId } } } }`),
      { f: { apiKeyFingerprint: key } },
    )
    expect(page.requests.nodes.map((n) => n.requestBody)).toEqual([{ n: 3 }, { n: 2 }, { n: 1 }])
    expect(page.requests.nodes.every((n) => n.responseSse === records[0]!.responseSse)).toBe(true)
    expect(page.requests.nodes.map((n) => n.chunks.map((c) => c.requestId))).toEqual([[records[2]!.id], [records[1]!.id], [records[0]!.id]])
  })

  it('serves the chunks of an in-flight request from the live bus', async () => {
    const record = makeRecord()
    const started = inFlight(record)
    await storeRecords(harness.dataSource, [started])
    harness.bus.publish({ kind: 'request', record: started })
    for (const seq of [0, 1]) {
      harness.bus.publish({ kind: 'chunk', chunk: makeChunk(record.id, seq), request: { id: record.id, model: record.model, path: record.path, stream: true, apiKeyFingerprint: null } })
    }
    const { request } = await queryGraphQL(
      harness.url,
      graphql(`query LiveChunksOf($id: ID!) { request(id: $id) { status chunks { seq } } }`),
      { id: record.id },
    )
    expect(request).toEqual({ status: 'IN_FLIGHT', chunks: [{ seq: 0 }, { seq: 1 }] })
  })
})
