/**
 * Header rules end to end: rules are changed through GraphQL, the official SDK talks to the mock
 * upstream through a whole Claudescope, and each test looks at what upstream received, what the
 * client received and what was recorded.
 */
import type Anthropic from '@anthropic-ai/sdk'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_MODEL } from '../support/anthropic-fixtures'
import { scenario, sdkClient } from '../support/sdk-client'
import { startApp, type TestApp } from '../support/start-app'
import { waitFor } from '../support/wait'
import { gql, gqlData, resetHeaderRules } from './rules-api'

let app: TestApp
let client: Anthropic
const params = { model: DEFAULT_MODEL, max_tokens: 64, messages: [{ role: 'user' as const, content: 'Hello' }] }

beforeAll(async () => {
  app = await startApp()
  client = sdkClient(app.url, 'sk-ant-test-key')
})
afterAll(async () => {
  await app?.close()
})
beforeEach(async () => {
  await resetHeaderRules(app.url)
})

const RULE_FIELDS = 'id position scope header action value find enabled pathPrefix model description'

async function createRule(rule: Record<string, unknown>, position?: number): Promise<{ id: string }> {
  const data = await gqlData<{ createHeaderRule: { id: string } }>(app.url, `mutation ($rule: HeaderRuleInput!, $position: Int) { createHeaderRule(rule: $rule, position: $position) { ${RULE_FIELDS} } }`, { rule, position })
  return data.createHeaderRule
}

interface StoredHeaders {
  id: string
  status: string
  requestHeaders: Record<string, string>
  upstreamRequestHeaders: Record<string, string>
  responseHeaders: Record<string, string>
  clientResponseHeaders: Record<string, string>
  headerRulesFired: Array<{ id: string; scope: string; header: string; action: string }>
}

/** The finished record of the exchange upstream answered with request-id `upstreamRequestId`. */
async function recordOf(upstreamRequestId: string): Promise<StoredHeaders> {
  const { id } = await waitFor(async () => {
    const data = await gqlData<{ requests: { nodes: Array<{ id: string; upstreamRequestId: string | null; status: string }> } }>(app.url, `query { requests(first: 50) { nodes { id upstreamRequestId status } } }`)
    return data.requests.nodes.find((node) => node.upstreamRequestId === upstreamRequestId && node.status !== 'IN_FLIGHT')
  }, `the record of ${upstreamRequestId}`)
  const data = await gqlData<{ request: StoredHeaders }>(
    app.url,
    `query ($id: ID!) { request(id: $id) { id status requestHeaders upstreamRequestHeaders responseHeaders clientResponseHeaders headerRulesFired { id scope header action } } }`,
    { id },
  )
  return data.request
}

const lastUpstreamRequest = () => app.upstream.requests.at(-1)!

describe('request header rules through the proxy', () => {
  it('applies a new SET rule on the very next request, and records the headers as received beside those sent', async () => {
    const before = await client.messages.create(params, { headers: { 'anthropic-beta': 'client-beta' } }).withResponse()
    expect(lastUpstreamRequest().headers['anthropic-beta']).toBe('client-beta')
    expect((await recordOf(before.request_id!)).headerRulesFired).toEqual([])

    const rule = await createRule({ scope: 'REQUEST', header: 'Anthropic-Beta', action: 'SET', value: 'rules-beta' })
    const after = await client.messages.create(params, { headers: { 'anthropic-beta': 'client-beta' } }).withResponse()

    expect(lastUpstreamRequest().headers['anthropic-beta']).toBe('rules-beta')
    expect(after.data.content).toEqual(before.data.content)
    const record = await recordOf(after.request_id!)
    expect(record.requestHeaders['anthropic-beta']).toBe('client-beta')
    expect(record.upstreamRequestHeaders['anthropic-beta']).toBe('rules-beta')
    expect(record.headerRulesFired).toEqual([{ id: rule.id, scope: 'REQUEST', header: 'anthropic-beta', action: 'SET' }])
  })

  it('BLOCKs a header, REPLACEs text in another, and stops on the next request once the rules are toggled off', async () => {
    const block = await createRule({ scope: 'REQUEST', header: 'x-debug-trace', action: 'BLOCK' })
    const replace = await createRule({ scope: 'REQUEST', header: 'x-team', action: 'REPLACE', find: 'old', value: 'new' })
    const headers = { 'x-debug-trace': 'secret-trace', 'x-team': 'old-team/old' }

    const rewritten = await client.messages.create(params, { headers }).withResponse()
    expect(lastUpstreamRequest().headers['x-debug-trace']).toBeUndefined()
    expect(lastUpstreamRequest().headers['x-team']).toBe('new-team/new')
    const record = await recordOf(rewritten.request_id!)
    expect(record.headerRulesFired.map((fired) => fired.id)).toEqual([block.id, replace.id])
    expect(record.requestHeaders).toMatchObject(headers)
    expect(record.upstreamRequestHeaders['x-debug-trace']).toBeUndefined()

    for (const { id } of [block, replace]) await gqlData(app.url, `mutation ($id: ID!) { toggleHeaderRule(id: $id) { enabled } }`, { id })
    const untouched = await client.messages.create(params, { headers }).withResponse()
    expect(lastUpstreamRequest().headers).toMatchObject(headers)
    expect((await recordOf(untouched.request_id!)).headerRulesFired).toEqual([])
  })

  it('fires rules only for requests whose path and model match', async () => {
    const onOpus = await createRule({ scope: 'REQUEST', header: 'x-model-tag', action: 'SET', value: 'opus', model: 'claude-opus-*' })
    const onCount = await createRule({ scope: 'REQUEST', header: 'x-path-tag', action: 'SET', value: 'count', pathPrefix: '/v1/messages/count_tokens' })

    await client.messages.create(params)
    expect(lastUpstreamRequest().headers['x-model-tag']).toBeUndefined()
    expect(lastUpstreamRequest().headers['x-path-tag']).toBeUndefined()

    await client.messages.create({ ...params, model: 'claude-opus-4-6' })
    expect(lastUpstreamRequest().headers['x-model-tag']).toBe('opus')

    const counted = await client.messages.countTokens({ model: 'claude-opus-4-6', messages: params.messages }).withResponse()
    expect(lastUpstreamRequest().headers).toMatchObject({ 'x-model-tag': 'opus', 'x-path-tag': 'count' })
    expect((await recordOf(counted.request_id!)).headerRulesFired.map((fired) => fired.id)).toEqual([onOpus.id, onCount.id])
  })

  it('applies rules in their order, which reorderHeaderRules changes', async () => {
    const first = await createRule({ scope: 'REQUEST', header: 'x-order', action: 'SET', value: 'a' })
    const second = await createRule({ scope: 'REQUEST', header: 'x-order', action: 'REPLACE', find: 'a', value: 'b' })
    await client.messages.create(params)
    expect(lastUpstreamRequest().headers['x-order']).toBe('b')

    const reordered = await gqlData<{ reorderHeaderRules: Array<{ id: string; position: number }> }>(app.url, `mutation ($ids: [ID!]!) { reorderHeaderRules(ids: $ids) { id position } }`, { ids: [second.id, first.id] })
    expect(reordered.reorderHeaderRules).toEqual([{ id: second.id, position: 0 }, { id: first.id, position: 1 }])
    await client.messages.create(params)
    expect(lastUpstreamRequest().headers['x-order']).toBe('a')

    await gqlData(app.url, `mutation ($id: ID!) { deleteHeaderRule(id: $id) { id } }`, { id: first.id })
    await client.messages.create(params, { headers: { 'x-order': 'a' } })
    expect(lastUpstreamRequest().headers['x-order']).toBe('b')
  })
})

describe('a request the proxy refuses', () => {
  it('is recorded with no header sent upstream and no rule fired', async () => {
    await createRule({ scope: 'REQUEST', header: 'x-team', action: 'SET', value: 'a' })
    const res = await fetch(`${app.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example' }, body: '{}' })
    expect(res.status).toBe(403)
    const record = await waitFor(async () => {
      const data = await gqlData<{ requests: { nodes: Array<{ upstreamRequestHeaders: unknown; headerRulesFired: unknown[]; errorCode: string | null }> } }>(
        app.url,
        `query { requests(first: 5, filter: { statuses: [FAILED] }) { nodes { errorCode upstreamRequestHeaders headerRulesFired { id } } } }`,
      )
      return data.requests.nodes.find((node) => node.errorCode === 'ORIGIN_FORBIDDEN')
    }, 'the refused request recorded')
    expect(record).toMatchObject({ upstreamRequestHeaders: {}, headerRulesFired: [] })
  })
})

describe('response header rules through the proxy', () => {
  it('changes what the client gets, streamed or not, while the record keeps what upstream sent', async () => {
    const block = await createRule({ scope: 'RESPONSE', header: 'anthropic-organization-id', action: 'BLOCK' })
    const set = await createRule({ scope: 'RESPONSE', header: 'x-served-by', action: 'SET', value: 'claudescope' })
    const replace = await createRule({ scope: 'RESPONSE', header: 'anthropic-ratelimit-unified-status', action: 'REPLACE', find: 'allowed', value: 'ok' })

    const json = await client.messages.create(params).withResponse()
    const stream = await client.messages.create({ ...params, stream: true }, scenario('stream-text')).withResponse()
    for await (const _event of stream.data);

    for (const { response, request_id } of [json, stream]) {
      expect(response.headers.get('anthropic-organization-id')).toBeNull()
      expect(response.headers.get('x-served-by')).toBe('claudescope')
      expect(response.headers.get('anthropic-ratelimit-unified-status')).toBe('ok')
      const record = await recordOf(request_id!)
      expect(record.responseHeaders['anthropic-organization-id']).toBeDefined()
      expect(record.responseHeaders['anthropic-ratelimit-unified-status']).toBe('allowed')
      expect(record.clientResponseHeaders).toMatchObject({ 'x-served-by': 'claudescope', 'anthropic-ratelimit-unified-status': 'ok' })
      expect(record.clientResponseHeaders['anthropic-organization-id']).toBeUndefined()
      expect(record.headerRulesFired.map((fired) => fired.id)).toEqual([block.id, set.id, replace.id])
    }
  })
})

describe('rule validation', () => {
  it.each([
    ['an empty header name', { scope: 'REQUEST', header: ' ', action: 'BLOCK' }, 'HEADER_NAME_EMPTY', 'must name a header'],
    ['a name with a space', { scope: 'REQUEST', header: 'x team', action: 'BLOCK' }, 'HEADER_NAME_INVALID', '"x team"'],
    ['REPLACE without find', { scope: 'REQUEST', header: 'x-a', action: 'REPLACE', value: 'b' }, 'HEADER_RULE_FIND_REQUIRED', 'REPLACE needs a non-empty `find`'],
    ['REPLACE with an empty find', { scope: 'REQUEST', header: 'x-a', action: 'REPLACE', find: '', value: 'b' }, 'HEADER_RULE_FIND_REQUIRED', 'an empty text'],
    ['SET without a value', { scope: 'RESPONSE', header: 'x-a', action: 'SET' }, 'HEADER_RULE_VALUE_REQUIRED', 'SET needs a `value`'],
    ['a value with CR LF', { scope: 'REQUEST', header: 'x-a', action: 'SET', value: 'a\r\nx-injected: 1' }, 'HEADER_VALUE_INVALID', 'U+000D at index 1'],
    ['a value with NUL', { scope: 'REQUEST', header: 'x-a', action: 'SET', value: 'a\u0000' }, 'HEADER_VALUE_INVALID', 'U+0000'],
    ['a value beyond U+00FF', { scope: 'RESPONSE', header: 'x-a', action: 'SET', value: 'price €' }, 'HEADER_VALUE_INVALID', 'nothing beyond U+00FF; got U+20AC at index 6'],
    ['a find with LF', { scope: 'REQUEST', header: 'x-a', action: 'REPLACE', find: '\n', value: '' }, 'HEADER_VALUE_INVALID', 'rule.find'],
    ['a hop-by-hop header', { scope: 'REQUEST', header: 'Connection', action: 'SET', value: 'close' }, 'HEADER_NOT_REWRITABLE', 'connection cannot be rewritten'],
    ['transfer-encoding', { scope: 'RESPONSE', header: 'transfer-encoding', action: 'BLOCK' }, 'HEADER_NOT_REWRITABLE', 'transfer-encoding'],
    ['host', { scope: 'REQUEST', header: 'Host', action: 'SET', value: 'evil.example' }, 'HEADER_NOT_REWRITABLE', 'host cannot be rewritten'],
    ['content-length', { scope: 'RESPONSE', header: 'content-length', action: 'SET', value: '1' }, 'HEADER_NOT_REWRITABLE', 'content-length'],
    ['a model pattern with * inside', { scope: 'REQUEST', header: 'x-a', action: 'BLOCK', model: 'claude-*-4' }, 'HEADER_RULE_MATCH_INVALID', 'at its end'],
    ['a path prefix without /', { scope: 'REQUEST', header: 'x-a', action: 'BLOCK', pathPrefix: 'v1' }, 'HEADER_RULE_MATCH_INVALID', 'must start with /'],
  ])('refuses %s with a typed error naming the problem, and stores nothing', async (_case, rule, code, message) => {
    const { errors } = await gql(app.url, `mutation ($rule: HeaderRuleInput!) { createHeaderRule(rule: $rule) { id } }`, { rule })
    expect(errors?.[0]?.extensions?.code).toBe(code)
    expect(errors?.[0]?.message).toContain(message)
    expect((await gqlData<{ headerRules: unknown[] }>(app.url, '{ headerRules { id } }')).headerRules).toEqual([])
  })

  it('refuses changes to a rule that does not exist, and a reorder that does not name every rule once', async () => {
    const rule = await createRule({ scope: 'REQUEST', header: 'x-a', action: 'BLOCK' })
    const missing = '00000000-0000-4000-8000-000000000000'
    for (const mutation of [`toggleHeaderRule(id: "${missing}") { id }`, `deleteHeaderRule(id: "${missing}") { id }`, `updateHeaderRule(id: "${missing}", rule: { scope: REQUEST, header: "x", action: BLOCK }) { id }`]) {
      const { errors } = await gql(app.url, `mutation { ${mutation} }`)
      expect(errors?.[0]?.extensions?.code).toBe('HEADER_RULE_NOT_FOUND')
    }
    const { errors } = await gql(app.url, `mutation ($ids: [ID!]!) { reorderHeaderRules(ids: $ids) { id } }`, { ids: [rule.id, rule.id] })
    expect(errors?.[0]?.extensions?.code).toBe('HEADER_RULE_ORDER_MISMATCH')
    const { errors: updateErrors } = await gql(app.url, `mutation ($id: ID!) { updateHeaderRule(id: $id, rule: { scope: REQUEST, header: "x-a", action: REPLACE, value: "b" }) { id } }`, { id: rule.id })
    expect(updateErrors?.[0]?.extensions?.code).toBe('HEADER_RULE_FIND_REQUIRED')
  })
})

describe('dryRunHeaderRules', () => {
  it('shows what given rules, or the rules in force, would do to a recorded request, changing nothing', async () => {
    const answered = await client.messages.create(params, { headers: { 'x-team': 'alpha' } }).withResponse()
    const { id } = await recordOf(answered.request_id!)
    const rules = [
      { scope: 'REQUEST', header: 'x-team', action: 'REPLACE', find: 'alpha', value: 'beta' },
      { scope: 'REQUEST', header: 'x-never', action: 'BLOCK' },
      { scope: 'RESPONSE', header: 'request-id', action: 'BLOCK', model: DEFAULT_MODEL },
      { scope: 'RESPONSE', header: 'x-off', action: 'SET', value: '1', enabled: false },
    ]
    const query = `query ($id: ID!, $rules: [HeaderRuleInput!]) { dryRunHeaderRules(requestId: $id, rules: $rules) { requestId requestHeadersBefore requestHeadersAfter responseHeadersBefore responseHeadersAfter fired { id scope header action } } }`
    const { dryRunHeaderRules: run } = await gqlData<{ dryRunHeaderRules: Record<string, Record<string, string> | unknown> }>(app.url, query, { id, rules })

    expect(run.fired).toEqual([
      { id: '0', scope: 'REQUEST', header: 'x-team', action: 'REPLACE' },
      { id: '2', scope: 'RESPONSE', header: 'request-id', action: 'BLOCK' },
    ])
    expect(run.requestHeadersBefore).toMatchObject({ 'x-team': 'alpha' })
    expect(run.requestHeadersBefore).not.toHaveProperty('host')
    expect(run.requestHeadersAfter).toMatchObject({ 'x-team': 'beta' })
    expect(run.responseHeadersBefore).toMatchObject({ 'request-id': answered.request_id })
    expect(run.responseHeadersAfter).not.toHaveProperty('request-id')

    const stored = await createRule({ scope: 'REQUEST', header: 'x-team', action: 'SET', value: 'gamma' })
    const { dryRunHeaderRules: inForce } = await gqlData<{ dryRunHeaderRules: { requestHeadersAfter: Record<string, string>; fired: Array<{ id: string }> } }>(app.url, query, { id })
    expect(inForce.requestHeadersAfter['x-team']).toBe('gamma')
    expect(inForce.fired.map((fired) => fired.id)).toEqual([stored.id])

    const invalid = await gql(app.url, query, { id, rules: [{ scope: 'REQUEST', header: 'x', action: 'REPLACE', value: '' }] })
    expect(invalid.errors?.[0]).toMatchObject({ extensions: { code: 'HEADER_RULE_FIND_REQUIRED' } })
    expect(invalid.errors?.[0]?.message).toContain('rules[0].find')
    const unknown = await gql(app.url, query, { id: '00000000-0000-4000-8000-000000000000' })
    expect(unknown.errors?.[0]?.extensions?.code).toBe('REQUEST_NOT_FOUND')
  })
})
