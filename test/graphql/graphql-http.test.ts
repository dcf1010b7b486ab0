import http from 'node:http'
import { auditServer } from 'graphql-http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GRAPHQL_LIMITS } from '../../server/graphql/graphql-limits'
import { makeRecord } from '../support/record-fixtures'
import { startGraphQLHarness, type GraphQLHarness } from '../support/graphql-harness'
import { storeRecords } from '../support/stored-records'

interface GraphQLBody {
  data?: unknown
  errors?: { message: string; extensions?: { code?: string } }[]
}

async function post(url: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers, body })
  return { status: res.status, headers: res.headers, json: (await res.json()) as GraphQLBody }
}

let harness: GraphQLHarness
beforeAll(async () => {
  harness = await startGraphQLHarness()
})
afterAll(() => harness.close())

describe('GraphQL over HTTP', () => {
  it('passes every required audit of the GraphQL-over-HTTP specification', async () => {
    const results = await auditServer({ url: `${harness.url}/graphql` })
    const failures = results.filter((r) => r.status === 'error').map((r) => `${r.id} ${r.name}`)
    expect(failures).toEqual([])
  })

  it('runs a query sent as GET with the query in the URL', async () => {
    const record = makeRecord()
    await storeRecords(harness.dataSource, [record])
    const query = encodeURIComponent('query($id: ID!) { request(id: $id) { id model } }')
    const variables = encodeURIComponent(JSON.stringify({ id: record.id }))
    const res = await fetch(`${harness.url}/graphql?query=${query}&variables=${variables}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/(graphql-response\+)?json/)
    expect(await res.json()).toEqual({ data: { request: { id: record.id, model: record.model } } })
  })

  it('answers 400 with a clear message when the POST body is not JSON', async () => {
    const { status, json } = await post(harness.url, '{"query": "{ requests { totalCount } }"')
    expect(status).toBe(400)
    expect(json.errors?.[0]?.message).toMatch(/^Request body is not valid JSON/)
    expect(json.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST')
  })

  it('answers 415 to a POST that is not JSON, so no HTML form can send one', async () => {
    const { status, json } = await post(harness.url, 'query={requests{totalCount}}', { 'content-type': 'application/x-www-form-urlencoded' })
    expect(status).toBe(415)
    expect(json.errors?.[0]?.message).toContain('application/json')
  })

  it('answers 413 to a body beyond the limit', async () => {
    const { status, json } = await post(harness.url, JSON.stringify({ query: '{ requests { totalCount } }', padding: 'x'.repeat(1024 * 1024) }))
    expect(status).toBe(413)
    expect(json.errors?.[0]?.extensions?.code).toBe('PAYLOAD_TOO_LARGE')
  })

  it('reads a body sent with chunked transfer encoding', async () => {
    const url = new URL(`${harness.url}/graphql`)
    const text = await new Promise<string>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        let data = ''
        res.setEncoding('utf8').on('data', (chunk: string) => (data += chunk)).on('end', () => resolve(data))
      })
      req.on('error', reject)
      req.write('{"query": "{ requests(first: 1) ')
      req.end('{ totalCount } }"}')
    })
    expect(JSON.parse(text)).toMatchObject({ data: { requests: { totalCount: expect.any(Number) } } })
  })

  it('answers 400 pointing to the WebSocket when a subscription is POSTed over HTTP, instead of running it as a query', async () => {
    const { status, json } = await post(harness.url, JSON.stringify({ query: 'subscription { requestEvents { kind } }' }))
    expect(status).toBe(400)
    expect(json.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST')
    expect(json.errors?.[0]?.message).toMatch(/WebSocket/)
  })

  it('refuses queries deeper than the depth limit', async () => {
    const deep = '{ requests { nodes { usage { a { b { c { d { e { f { g { h } } } } } } } } } } }'
    const { status, json } = await post(harness.url, JSON.stringify({ query: deep }))
    expect(status).toBe(400)
    expect(json.errors?.[0]?.message).toMatch(new RegExp(`^Query depth limit of ${GRAPHQL_LIMITS.maxDepth} exceeded`))
  })

  it('refuses more aliases than the alias limit', async () => {
    const aliases = Array.from({ length: GRAPHQL_LIMITS.maxAliases + 1 }, (_, i) => `a${i}: requests { totalCount }`).join(' ')
    const { status, json } = await post(harness.url, JSON.stringify({ query: `{ ${aliases} }` }))
    expect(status).toBe(400)
    expect(json.errors?.[0]?.message).toMatch(new RegExp(`^Aliases limit of ${GRAPHQL_LIMITS.maxAliases} exceeded`))
  })

  it('refuses a query costlier than the cost limit, saying so rather than calling it a syntax error', async () => {
    const costly = `{ ${Array.from({ length: 12 }, (_, i) => `a${i}: requests(first: 200) { nodes { id chunks { seq data } } }`).join(' ')} }`
    const { status, json } = await post(harness.url, JSON.stringify({ query: costly }))
    expect(status).toBe(400)
    expect(json.errors?.[0]?.message).toMatch(new RegExp(`^Query Cost limit of ${GRAPHQL_LIMITS.maxCost} exceeded, found \\d+`))
  })

  it('refuses a document with more tokens than the token limit', async () => {
    const fields = Array.from({ length: GRAPHQL_LIMITS.maxTokens }, () => 'id').join(' ')
    const { status, json } = await post(harness.url, JSON.stringify({ query: `{ requests { nodes { ${fields} } } }` }))
    expect(status).toBe(400)
    expect(json.errors?.[0]?.message).toContain(`${GRAPHQL_LIMITS.maxTokens} tokens. Parsing aborted`)
  })

  it('keeps introspection open for schema tools', async () => {
    const { status, json } = await post(harness.url, JSON.stringify({ query: '{ __schema { queryType { name } subscriptionType { name } } }' }))
    expect(status).toBe(200)
    expect(json.data).toEqual({ __schema: { queryType: { name: 'Query' }, subscriptionType: { name: 'Subscription' } } })
  })

  it('masks an unexpected failure and keeps the API answering', async () => {
    const record = makeRecord()
    await storeRecords(harness.dataSource, [record])
    const query = JSON.stringify({ query: `{ request(id: "${record.id}") { id chunks { seq } } }` })
    await harness.dataSource.query('ALTER TABLE stream_chunks RENAME TO stream_chunks_elsewhere')
    try {
      const { json } = await post(harness.url, query)
      expect(json.errors).toEqual([expect.objectContaining({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } })])
      expect(JSON.stringify(json)).not.toContain('stream_chunks')
    } finally {
      await harness.dataSource.query('ALTER TABLE stream_chunks_elsewhere RENAME TO stream_chunks')
    }
    const { json: again } = await post(harness.url, query)
    expect(again).toEqual({ data: { request: { id: record.id, chunks: [] } } })
  })

  it('sends no CORS headers', async () => {
    const res = await fetch(`${harness.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
      body: JSON.stringify({ query: '{ requests { totalCount } }' }),
    })
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
  })
})

describe('GraphQL over HTTP with a dashboard token', () => {
  let url: string
  beforeAll(async () => {
    url = await harness.serve({ dashboardToken: 's3cret-token' })
  })

  const query = JSON.stringify({ query: '{ requests { totalCount } }' })

  it.each([
    ['no authorization header', {}],
    ['a wrong token', { authorization: 'Bearer wrong' }],
    ['a token of another length', { authorization: 'Bearer s3cret-token-and-more' }],
    ['another scheme', { authorization: 'Basic czNjcmV0LXRva2Vu' }],
  ])('answers 401 with %s', async (_what, headers: Record<string, string>) => {
    const { status, headers: responseHeaders, json } = await post(url, query, { 'content-type': 'application/json', ...headers })
    expect(status).toBe(401)
    expect(responseHeaders.get('www-authenticate')).toBe('Bearer')
    expect(json.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED')
  })

  it('answers 401 to a GET without the token', async () => {
    const res = await fetch(`${url}/graphql?query=${encodeURIComponent('{ requests { totalCount } }')}`)
    expect(res.status).toBe(401)
  })

  it('serves a request bearing the token', async () => {
    const { status, json } = await post(url, query, { 'content-type': 'application/json', authorization: 'Bearer s3cret-token' })
    expect(status).toBe(200)
    expect(json).toEqual({ data: { requests: { totalCount: expect.any(Number) } } })
  })
})
