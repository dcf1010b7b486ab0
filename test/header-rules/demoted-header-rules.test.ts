/** Header rules on a demoted request: the client's JSON answer gets the RESPONSE rules, upstream the REQUEST ones. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_MODEL } from '../support/anthropic-fixtures'
import { sdkClient } from '../support/sdk-client'
import { startApp, type TestApp } from '../support/start-app'
import { gqlData } from './rules-api'

let app: TestApp
beforeAll(async () => {
  app = await startApp({ env: { ANTHROPIC_DEMOTE_NONSTREAMING: '1' } })
})
afterAll(() => app?.close())

describe('header rules on a demoted request', () => {
  it('rewrite the stream request sent upstream and the JSON answer the client gets, and the record lists them', async () => {
    const rules = [
      { scope: 'REQUEST', header: 'x-team', action: 'SET', value: 'demoted' },
      { scope: 'RESPONSE', header: 'x-served-by', action: 'SET', value: 'claudescope', model: DEFAULT_MODEL },
      { scope: 'RESPONSE', header: 'anthropic-organization-id', action: 'BLOCK' },
    ]
    for (const rule of rules) await gqlData(app.url, `mutation ($rule: HeaderRuleInput!) { createHeaderRule(rule: $rule) { id } }`, { rule })

    const { data, response, request_id } = await sdkClient(app.url).messages.create({ model: DEFAULT_MODEL, max_tokens: 32, messages: [{ role: 'user', content: 'hi' }] }).withResponse()

    expect(data.type).toBe('message')
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(response.headers.get('x-served-by')).toBe('claudescope')
    expect(response.headers.get('anthropic-organization-id')).toBeNull()
    expect(app.upstream.requests.at(-1)!.headers['x-team']).toBe('demoted')
    await app.app.capture.flush()
    const [row] = (await app.app.dataSource.query('SELECT id FROM requests WHERE upstream_request_id = $1', [request_id])) as { id: string }[]
    const { request } = await gqlData<{ request: { demoted: boolean; headerRulesFired: Array<{ header: string }>; clientResponseHeaders: Record<string, string> } }>(
      app.url,
      `query ($id: ID!) { request(id: $id) { demoted headerRulesFired { header } clientResponseHeaders } }`,
      { id: row!.id },
    )
    expect(request.demoted).toBe(true)
    expect(request.headerRulesFired.map((fired) => fired.header)).toEqual(['x-team', 'x-served-by', 'anthropic-organization-id'])
    expect(request.clientResponseHeaders['x-served-by']).toBe('claudescope')
  })
})
