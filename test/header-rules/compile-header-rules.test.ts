import { describe, expect, it } from 'vitest'
import { compileHeaderRules, type RuleToCompile } from '../../server/header-rules/compile-header-rules'
import { NONE_FIRED, type ExchangeFacts } from '../../server/proxy/header-rewrite'

const facts = { path: '/v1/messages', model: 'claude-sonnet-4-5' }

let nextId = 0
function rule(overrides: Partial<RuleToCompile> & Pick<RuleToCompile, 'scope' | 'header' | 'action'>): RuleToCompile {
  return { id: `r${++nextId}`, value: null, find: null, enabled: true, pathPrefix: null, model: null, description: null, ...overrides }
}

/** Runs REQUEST rules on a flat list; returns the list after and the ids that fired. */
function onRequest(rules: RuleToCompile[], headers: string[], exchange: ExchangeFacts = facts) {
  const list = [...headers]
  const fired = compileHeaderRules(rules).rewriteRequest(list, exchange)
  return { headers: list, fired: fired.map((r) => r.id) }
}

/** Runs RESPONSE rules on a record; returns the record after and the ids that fired. */
function onResponse(rules: RuleToCompile[], headers: Record<string, string | string[]>, exchange: ExchangeFacts = facts) {
  const record = structuredClone(headers)
  const fired = compileHeaderRules(rules).rewriteResponse(record, exchange)
  return { headers: record, fired: fired.map((r) => r.id) }
}

describe('request header rules', () => {
  it('BLOCK removes every occurrence whatever its case, and fires only when something was removed', () => {
    const block = rule({ scope: 'REQUEST', header: 'x-debug', action: 'BLOCK' })
    expect(onRequest([block], ['X-Debug', '1', 'accept', '*/*', 'x-debug', '2'])).toEqual({ headers: ['accept', '*/*'], fired: [block.id] })
    expect(onRequest([block], ['accept', '*/*'])).toEqual({ headers: ['accept', '*/*'], fired: [] })
  })

  it('SET replaces the first occurrence in place, drops repeats, and adds the header when absent', () => {
    const set = rule({ scope: 'REQUEST', header: 'anthropic-beta', action: 'SET', value: 'b2' })
    expect(onRequest([set], ['Anthropic-Beta', 'a', 'accept', '*/*', 'anthropic-beta', 'c']).headers).toEqual(['Anthropic-Beta', 'b2', 'accept', '*/*'])
    expect(onRequest([set], ['accept', '*/*'])).toEqual({ headers: ['accept', '*/*', 'anthropic-beta', 'b2'], fired: [set.id] })
  })

  it('REPLACE replaces every occurrence of find in every value of the header, and fires only when find occurred', () => {
    const replace = rule({ scope: 'REQUEST', header: 'user-agent', action: 'REPLACE', find: 'cli', value: 'CLI' })
    expect(onRequest([replace], ['User-Agent', 'claude-cli/2 (cli)'])).toEqual({ headers: ['User-Agent', 'claude-CLI/2 (CLI)'], fired: [replace.id] })
    expect(onRequest([replace], ['User-Agent', 'sdk'])).toEqual({ headers: ['User-Agent', 'sdk'], fired: [] })
  })

  it('applies rules in order, each seeing what the ones before it did', () => {
    const set = rule({ scope: 'REQUEST', header: 'x-team', action: 'SET', value: 'alpha' })
    const replace = rule({ scope: 'REQUEST', header: 'x-team', action: 'REPLACE', find: 'alpha', value: 'beta' })
    expect(onRequest([set, replace], [])).toEqual({ headers: ['x-team', 'beta'], fired: [set.id, replace.id] })
    expect(onRequest([replace, set], [])).toEqual({ headers: ['x-team', 'alpha'], fired: [set.id] })
  })

  it('skips disabled rules and rules of the other scope', () => {
    const disabled = rule({ scope: 'REQUEST', header: 'accept', action: 'BLOCK', enabled: false })
    const response = rule({ scope: 'RESPONSE', header: 'accept', action: 'BLOCK' })
    expect(onRequest([disabled, response], ['accept', '*/*'])).toEqual({ headers: ['accept', '*/*'], fired: [] })
  })

  it('matches on a path prefix and on a model, exactly or by a prefix ending in *', () => {
    const onCount = rule({ scope: 'REQUEST', header: 'x-a', action: 'SET', value: '1', pathPrefix: '/v1/messages/count_tokens' })
    const onSonnet = rule({ scope: 'REQUEST', header: 'x-b', action: 'SET', value: '1', model: 'claude-sonnet-4-5' })
    const onOpus = rule({ scope: 'REQUEST', header: 'x-c', action: 'SET', value: '1', model: 'claude-opus-*' })
    const rules = [onCount, onSonnet, onOpus]
    expect(onRequest(rules, [], { path: '/v1/messages', model: 'claude-sonnet-4-5' }).fired).toEqual([onSonnet.id])
    expect(onRequest(rules, [], { path: '/v1/messages/count_tokens', model: 'claude-opus-4-1' }).fired).toEqual([onCount.id, onOpus.id])
    expect(onRequest(rules, [], { path: '/v1/models', model: null }).fired).toEqual([])
  })

  it('says when the model is needed, and fires nothing without allocating when no rule applies', () => {
    expect(compileHeaderRules([rule({ scope: 'REQUEST', header: 'x-a', action: 'BLOCK' })]).needsModel).toBe(false)
    expect(compileHeaderRules([rule({ scope: 'RESPONSE', header: 'x-a', action: 'BLOCK', model: 'm' })]).needsModel).toBe(true)
    expect(compileHeaderRules([rule({ scope: 'REQUEST', header: 'x-a', action: 'BLOCK', enabled: false })]).isEmpty).toBe(true)
    const rewrite = compileHeaderRules([rule({ scope: 'REQUEST', header: 'x-a', action: 'BLOCK' })])
    expect(rewrite.rewriteRequest(['accept', '*/*'], facts)).toBe(NONE_FIRED)
    expect(rewrite.rewriteResponse({}, facts)).toBe(NONE_FIRED)
  })
})

describe('response header rules', () => {
  it('BLOCK removes the header and fires only when it was there', () => {
    const block = rule({ scope: 'RESPONSE', header: 'anthropic-organization-id', action: 'BLOCK' })
    expect(onResponse([block], { 'anthropic-organization-id': 'org', 'request-id': 'req' })).toEqual({ headers: { 'request-id': 'req' }, fired: [block.id] })
    expect(onResponse([block], { 'request-id': 'req' }).fired).toEqual([])
  })

  it('SET sets the header, repeats included, or adds it', () => {
    const set = rule({ scope: 'RESPONSE', header: 'x-served-by', action: 'SET', value: 'claudescope' })
    expect(onResponse([set], { 'x-served-by': ['a', 'b'] }).headers).toEqual({ 'x-served-by': 'claudescope' })
    expect(onResponse([set], {})).toEqual({ headers: { 'x-served-by': 'claudescope' }, fired: [set.id] })
  })

  it('REPLACE edits every occurrence in a single value and in repeated values', () => {
    const replace = rule({ scope: 'RESPONSE', header: 'set-cookie', action: 'REPLACE', find: 'Secure', value: 'Secure; HttpOnly' })
    expect(onResponse([replace], { 'set-cookie': ['a=1; Secure', 'b=2'] }).headers).toEqual({ 'set-cookie': ['a=1; Secure; HttpOnly', 'b=2'] })
    const dots = rule({ scope: 'RESPONSE', header: 'x-v', action: 'REPLACE', find: '.', value: '' })
    expect(onResponse([dots], { 'x-v': '1.2.3' })).toEqual({ headers: { 'x-v': '123' }, fired: [dots.id] })
    expect(onResponse([dots], { 'x-v': '123' }).fired).toEqual([])
  })

  it('matches response rules on the request\'s path and model', () => {
    const onHaiku = rule({ scope: 'RESPONSE', header: 'x-tier', action: 'SET', value: 'cheap', model: 'claude-haiku-*', pathPrefix: '/v1/messages' })
    expect(onResponse([onHaiku], {}, { path: '/v1/messages', model: 'claude-haiku-4-5' }).fired).toEqual([onHaiku.id])
    expect(onResponse([onHaiku], {}, { path: '/v1/messages', model: 'claude-sonnet-4-5' }).fired).toEqual([])
  })
})
