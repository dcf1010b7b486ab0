import { parse, print, specifiedRules, validate, type DocumentNode, type GraphQLSchema } from 'graphql'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as documents from '../../client/src/graphql/documents'
import { apolloLimits, GRAPHQL_LIMITS } from '../../server/graphql/graphql-limits'
import { buildApiSchema } from '../../server/api'
import { subscribeGraphQL } from '../support/graphql-client'
import { startGraphQLHarness, type GraphQLHarness } from '../support/graphql-harness'

/** Every field of a Request that loads a body, a header set or the chunks. */
const BODY_FIELDS = 'requestHeaders requestBody requestBodyText responseHeaders responseBody responseBodyText responseSse chunks { seq data }'

/** `count` aliases of one selection, so the alias limit (15) is not what refuses them. */
const aliased = (count: number, selection: string) => Array.from({ length: count }, (_, i) => `a${i}: ${selection}`).join(' ')

const COST_REFUSAL = new RegExp(`^Query Cost limit of ${GRAPHQL_LIMITS.maxCost} exceeded, found \\d+`)

let schema: GraphQLSchema
let harness: GraphQLHarness
beforeAll(async () => {
  schema = await buildApiSchema()
  harness = await startGraphQLHarness()
})
afterAll(() => harness.close())

/** Validation errors with every rule the server applies (graphql's own and our limits). */
const validationErrors = (document: DocumentNode) => validate(schema, document, [...specifiedRules, ...apolloLimits().validationRules]).map((error) => error.message)

async function post(query: string, variables?: Record<string, unknown>) {
  const res = await fetch(`${harness.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) })
  return { status: res.status, json: (await res.json()) as { data?: unknown; errors?: { message: string }[] } }
}

describe('the query cost limit', () => {
  const dashboardDocuments = Object.entries(documents).filter(([, value]) => typeof value === 'object' && value !== null && 'kind' in value)

  it.each(dashboardDocuments)('lets the dashboard document %s pass, whatever page size its variables ask', (_name, document) => {
    expect(validationErrors(parse(print(document as DocumentNode)))).toEqual([])
  })

  it.each([
    ['a literal first: 200', `{ ${aliased(15, `requests(first: 200) { nodes { id ${BODY_FIELDS} } }`)} }`, undefined],
    ['first from a variable', `query($first: Int) { ${aliased(15, `requests(first: $first) { nodes { id ${BODY_FIELDS} } }`)} }`, { first: 200 }],
    ['the default page size', `{ ${aliased(15, `requests { edges { node { id ${BODY_FIELDS} } } }`)} }`, undefined],
  ])('refuses fifteen aliased pages selecting every body field, with %s, over HTTP naming the cost and the limit', async (_what, query, variables) => {
    const { status, json } = await post(query, variables)
    expect(status).toBe(400)
    expect(json.errors?.[0]?.message).toMatch(COST_REFUSAL)
  })

  it('refuses one page of 200 requests with their bodies, and serves a page of 20', async () => {
    const refused = await post(`{ requests(first: 200) { nodes { id requestBodyText responseBodyText } } }`)
    expect(refused.json.errors?.[0]?.message).toMatch(COST_REFUSAL)
    const served = await post(`{ requests(first: 20) { nodes { id requestBodyText responseBodyText } } }`)
    expect(served.json.errors).toBeUndefined()
  })

  it('still serves a page of 200 summaries with its count', async () => {
    const { json } = await post(`{ requests(first: 200) { totalCount nodes { id model status usage { inputTokens outputTokens } } pageInfo { endCursor } } }`)
    expect(json.errors).toBeUndefined()
  })

  it('refuses the fifteen aliased pages sent over graphql-ws too, naming the cost and the limit', async () => {
    const costly = subscribeGraphQL(harness.url, `{ ${aliased(15, `requests(first: 200) { nodes { id ${BODY_FIELDS} } }`)} }`)
    await expect(costly.waitFor(1)).rejects.toThrow(/Query Cost limit of \d+ exceeded, found \d+/)
    await costly.close()
  })
})
