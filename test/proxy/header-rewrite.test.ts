import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { compileHeaderRules, type RuleToCompile } from '../../server/header-rules/compile-header-rules'
import { NO_HEADER_REWRITE, type ExchangeFacts, type HeaderRewrite } from '../../server/proxy/header-rewrite'
import { topLevelMembers } from '../../server/wire/top-level-members'
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream'
import { rawRequest, RecordingObserver, startProxy, type RunningProxy } from '../support/proxy-harness'

const rule = (overrides: Partial<RuleToCompile> & Pick<RuleToCompile, 'id' | 'scope' | 'header' | 'action'>): RuleToCompile => ({
  value: null,
  find: null,
  enabled: true,
  pathPrefix: null,
  model: null,
  description: null,
  ...overrides,
})

/** A snapshot that records the facts each exchange was rewritten with. */
function spying(rewrite: HeaderRewrite, seen: ExchangeFacts[]): HeaderRewrite {
  return {
    isEmpty: rewrite.isEmpty,
    needsModel: rewrite.needsModel,
    rewriteRequest: (headers, facts) => (seen.push(facts), rewrite.rewriteRequest(headers, facts)),
    rewriteResponse: (headers, facts) => rewrite.rewriteResponse(headers, facts),
  }
}

const BODY = '{"model":"claude-opus-4-6","max_tokens":1,"messages":[]}'

describe('the proxy with a header-rewrite snapshot', () => {
  let upstream: MockUpstream
  let running: RunningProxy | undefined
  beforeEach(async () => {
    upstream = await startMockUpstream()
  })
  afterEach(async () => {
    await running?.close()
    running = undefined
    await upstream.close()
  })

  it('reads the snapshot once per exchange, so a new snapshot applies from the next request on', async () => {
    let current: HeaderRewrite = NO_HEADER_REWRITE
    running = await startProxy({ forwardUrl: upstream.url, headerRewrite: () => current })
    await rawRequest(running.url, { path: '/v1/messages', headers: ['x-team', 'a'], body: BODY })
    current = compileHeaderRules([rule({ id: 'r1', scope: 'REQUEST', header: 'x-team', action: 'SET', value: 'b' })])
    await rawRequest(running.url, { path: '/v1/messages', headers: ['x-team', 'a'], body: BODY })
    expect(upstream.requests.map((request) => request.headers['x-team'])).toEqual(['a', 'b'])
  })

  it('gives rules the model only when one matches on it, from the scan capture reuses', async () => {
    const seen: ExchangeFacts[] = []
    const withoutModel = compileHeaderRules([rule({ id: 'r1', scope: 'REQUEST', header: 'x-a', action: 'BLOCK' })])
    const withModel = compileHeaderRules([rule({ id: 'r2', scope: 'REQUEST', header: 'x-a', action: 'BLOCK', model: 'claude-opus-*' })])
    let current = spying(withoutModel, seen)
    const observer = new RecordingObserver()
    running = await startProxy({ forwardUrl: upstream.url, headerRewrite: () => current, observer })
    await rawRequest(running.url, { path: '/v1/messages', headers: ['x-a', '1'], body: BODY })
    current = spying(withModel, seen)
    await rawRequest(running.url, { path: '/v1/messages', headers: ['x-a', '1'], body: BODY })

    expect(seen).toEqual([
      { path: '/v1/messages', model: null },
      { path: '/v1/messages', model: 'claude-opus-4-6' },
    ])
    const exchanges = observer.exchanges
    await observer.ended()
    // The body scanned for the model is the very buffer the observer gets: capture's scan is a cache hit.
    expect(topLevelMembers(exchanges[1]!.start.clientBody)).toBe(topLevelMembers(exchanges[1]!.start.clientBody))
    expect(exchanges.map((exchange) => exchange.start.headerRulesFired?.map((fired) => fired.id))).toEqual([['r1'], ['r2']])
    expect(upstream.requests.every((request) => request.headers['x-a'] === undefined)).toBe(true)
  })

  it('announces the response rules that fired with the headers the client got, and nothing when none fired', async () => {
    const current = compileHeaderRules([rule({ id: 'r1', scope: 'RESPONSE', header: 'x-served-by', action: 'SET', value: 'claudescope', pathPrefix: '/v1/messages' })])
    const observer = new RecordingObserver()
    running = await startProxy({ forwardUrl: upstream.url, headerRewrite: () => current, observer })
    const answered = await rawRequest(running.url, { path: '/v1/messages', body: BODY })
    await rawRequest(running.url, { path: '/v1/models', method: 'GET' })
    await observer.ended()

    expect(answered.headers['x-served-by']).toBe('claudescope')
    const [messages, models] = observer.exchanges
    expect(messages!.response).toMatchObject({ headerRulesFired: [{ id: 'r1' }], clientHeaders: { 'x-served-by': 'claudescope' } })
    expect(messages!.response!.headers['x-served-by']).toBeUndefined()
    expect(models!.response!.headerRulesFired).toBeUndefined()
  })
})
