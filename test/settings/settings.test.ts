import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { HeaderRulesService } from '../../server/header-rules/header-rules.service'
import { createMemoryBus } from '../../server/live/memory-bus'
import { createLogger } from '../../server/logger'
import { SettingsAudit } from '../../server/settings/settings-audit'
import { startGraphQLHarness, type GraphQLHarness } from '../support/graphql-harness'
import { makeRecord } from '../support/record-fixtures'
import { storeRecords } from '../support/stored-records'
import { waitFor } from '../support/wait'
import { gql, gqlData, resetHeaderRules, TEST_USER_AGENT } from '../header-rules/rules-api'

let harness: GraphQLHarness

beforeAll(async () => {
  harness = await startGraphQLHarness()
})
afterAll(async () => {
  await harness?.close()
})
beforeEach(async () => {
  await resetHeaderRules(harness.url)
})

interface Change {
  section: string
  action: string
  summary: string
  before: unknown
  after: unknown
  clientAddress: string | null
  userAgent: string | null
}

async function latestChanges(first: number): Promise<Change[]> {
  const data = await gqlData<{ settingsChanges: Change[] }>(harness.url, `query ($first: Int) { settingsChanges(first: $first, section: "headerRules") { section action summary before after clientAddress userAgent } }`, { first })
  return data.settingsChanges
}

async function createRule(rule: Record<string, unknown>): Promise<string> {
  return (await gqlData<{ createHeaderRule: { id: string } }>(harness.url, `mutation ($rule: HeaderRuleInput!) { createHeaderRule(rule: $rule) { id } }`, { rule })).createHeaderRule.id
}

const EXPORT = `query { exportSettings }`
const IMPORT = `mutation ($document: JSON!) { importSettings(document: $document) }`
const RULES = `query { headerRules { scope header action value find enabled pathPrefix model description position } }`

describe('settings audit', () => {
  it('records a price set through setPrice, with the override it replaced', async () => {
    const set = (input: number) =>
      gqlData(harness.url, `mutation ($price: PriceInput!) { setPrice(price: $price) { recostedRequests } }`, {
        price: { model: 'claude-audit-test', effectiveFrom: '2026-01-01T00:00:00.000Z', inputUsdPerMTok: input, outputUsdPerMTok: 15 },
      })
    await set(3)
    await set(4)
    const data = await gqlData<{ settingsChanges: Change[] }>(harness.url, `query { settingsChanges(first: 2, section: "prices") { section action summary before after clientAddress userAgent } }`)
    const [second, first] = data.settingsChanges
    expect(first).toMatchObject({ section: 'prices', action: 'setPrice', summary: 'claude-audit-test from 2026-01-01: $3 input, $15 output per million tokens', before: null, userAgent: TEST_USER_AGENT })
    expect(first!.after).toMatchObject({ model: 'claude-audit-test', inputUsdPerMTok: '3' })
    expect(second).toMatchObject({ summary: 'claude-audit-test from 2026-01-01: $4 input, $15 output per million tokens', before: { inputUsdPerMTok: '3' }, after: { inputUsdPerMTok: '4' } })
  })

  it('records every header-rule change with what changed, before and after, and the client that asked', async () => {
    const first = await createRule({ scope: 'REQUEST', header: 'X-Team', action: 'SET', value: 'a', description: 'tag the team' })
    const second = await createRule({ scope: 'RESPONSE', header: 'x-b', action: 'BLOCK' })
    await gqlData(harness.url, `mutation ($id: ID!) { updateHeaderRule(id: $id, rule: { scope: REQUEST, header: "x-team", action: SET, value: "b" }) { id } }`, { id: first })
    await gqlData(harness.url, `mutation ($id: ID!) { toggleHeaderRule(id: $id, enabled: false) { id } }`, { id: second })
    await gqlData(harness.url, `mutation ($ids: [ID!]!) { reorderHeaderRules(ids: $ids) { id } }`, { ids: [second, first] })
    await gqlData(harness.url, `mutation ($id: ID!) { deleteHeaderRule(id: $id) { id } }`, { id: second })

    const changes = (await latestChanges(6)).reverse()
    expect(changes.map((change) => change.action)).toEqual(['createHeaderRule', 'createHeaderRule', 'updateHeaderRule', 'toggleHeaderRule', 'reorderHeaderRules', 'deleteHeaderRule'])
    for (const change of changes) {
      expect(change).toMatchObject({ section: 'headerRules', userAgent: TEST_USER_AGENT })
      expect(change.clientAddress).toMatch(/127\.0\.0\.1/)
    }
    expect(changes[0]).toMatchObject({ before: null, after: { scope: 'REQUEST', header: 'x-team', action: 'SET', value: 'a', description: 'tag the team' } })
    expect(changes[0]!.summary).toContain('created REQUEST rule SET "a" as x-team')
    expect(changes[2]).toMatchObject({ before: { value: 'a' }, after: { value: 'b' } })
    expect(changes[3]).toMatchObject({ before: { enabled: true }, after: { enabled: false }, summary: expect.stringContaining('disabled') })
    expect(changes[4]).toMatchObject({ before: [first, second], after: [second, first] })
    expect(changes[5]).toMatchObject({ before: { header: 'x-b', action: 'BLOCK' }, after: null })
  })

  it('records nothing for a refused change', async () => {
    const before = await latestChanges(200)
    const { errors } = await gql(harness.url, `mutation { createHeaderRule(rule: { scope: REQUEST, header: "host", action: BLOCK }) { id } }`)
    expect(errors?.[0]?.extensions?.code).toBe('HEADER_NOT_REWRITABLE')
    expect(await latestChanges(200)).toHaveLength(before.length)
  })
})

describe('settings export and import', () => {
  it('round-trips every header rule through one JSON document, audited as one import', async () => {
    await createRule({ scope: 'REQUEST', header: 'x-a', action: 'REPLACE', find: 'x', value: 'y', pathPrefix: '/v1/messages', model: 'claude-opus-*', description: 'd' })
    await createRule({ scope: 'RESPONSE', header: 'x-b', action: 'SET', value: 'v', enabled: false })
    const rules = (await gqlData<{ headerRules: unknown[] }>(harness.url, RULES)).headerRules
    const { exportSettings: document } = await gqlData<{ exportSettings: Record<string, unknown> }>(harness.url, EXPORT)
    expect(document).toMatchObject({ format: 'claudescope-settings', version: 1 })
    expect(document.headerRules).toHaveLength(2)

    await resetHeaderRules(harness.url)
    expect((await gqlData<{ headerRules: unknown[] }>(harness.url, RULES)).headerRules).toEqual([])
    const imported = await gqlData<{ importSettings: string[] }>(harness.url, IMPORT, { document: JSON.parse(JSON.stringify(document)) })

    expect(imported.importSettings).toEqual(['headerRules', 'prices'])
    expect((await gqlData<{ headerRules: unknown[] }>(harness.url, RULES)).headerRules).toEqual(rules)
    const [change] = await latestChanges(1)
    expect(change).toMatchObject({ action: 'importSettings', before: [], after: document.headerRules, summary: 'imported 2 header rules in place of 0' })
  })

  it('exports and imports the price overrides, and re-costs the history they price', async () => {
    const record = makeRecord({ model: 'claude-imported-model', startedAt: new Date('2026-02-01T00:00:00Z'), completedAt: new Date('2026-02-01T00:00:01Z') })
    await storeRecords(harness.dataSource, [record])
    const costOf = async () => (await gqlData<{ request: { costUsd: number | null; costStatus: string } }>(harness.url, `query ($id: ID!) { request(id: $id) { costUsd costStatus } }`, { id: record.id })).request
    await gqlData(harness.url, `mutation ($price: PriceInput!) { setPrice(price: $price) { recostedRequests } }`, {
      price: { model: 'claude-imported-model', effectiveFrom: '2026-01-01T00:00:00.000Z', inputUsdPerMTok: 2, outputUsdPerMTok: 10, cacheWrite5mUsdPerMTok: 2.5, cacheWrite1hUsdPerMTok: 4, cacheReadUsdPerMTok: 0.2 },
    })
    // The record's usage: 10 input and 5 output tokens, no cache: (10 × 2 + 5 × 10) / 1e6 dollars.
    expect(await costOf()).toEqual({ costUsd: 0.00007, costStatus: 'PRICED' })
    const { exportSettings: document } = await gqlData<{ exportSettings: { prices: Array<Record<string, unknown>> } }>(harness.url, EXPORT)
    const exported = document.prices.find((price) => price.model === 'claude-imported-model')
    expect(exported).toMatchObject({ effectiveFrom: '2026-01-01T00:00:00.000Z', inputUsdPerMTok: 2, outputUsdPerMTok: 10, cacheReadUsdPerMTok: 0.2 })

    await gqlData(harness.url, IMPORT, { document: { format: 'claudescope-settings', version: 1, prices: [] } })
    expect(await costOf()).toEqual({ costUsd: null, costStatus: 'UNKNOWN_MODEL' })
    await gqlData(harness.url, IMPORT, { document: JSON.parse(JSON.stringify(document)) })
    expect(await costOf()).toEqual({ costUsd: 0.00007, costStatus: 'PRICED' })
    const data = await gqlData<{ settingsChanges: Change[] }>(harness.url, `query { settingsChanges(first: 1, section: "prices") { action summary } }`)
    expect(data.settingsChanges[0]).toMatchObject({ action: 'importSettings', summary: `imported ${document.prices.length} price overrides in place of 0` })
  })

  it('clears one override with clearPrice, audited, re-costing its history, and refuses one that does not exist', async () => {
    const record = makeRecord({ model: 'claude-cleared-model', startedAt: new Date('2026-02-01T00:00:00Z'), completedAt: new Date('2026-02-01T00:00:01Z') })
    await storeRecords(harness.dataSource, [record])
    const costOf = async () => (await gqlData<{ request: { costUsd: number | null; costStatus: string } }>(harness.url, `query ($id: ID!) { request(id: $id) { costUsd costStatus } }`, { id: record.id })).request
    const override = { model: 'claude-cleared-model', effectiveFrom: '2026-01-01T00:00:00.000Z' }
    await gqlData(harness.url, `mutation ($price: PriceInput!) { setPrice(price: $price) { recostedRequests } }`, { price: { ...override, inputUsdPerMTok: 2, outputUsdPerMTok: 10 } })
    expect(await costOf()).toEqual({ costUsd: 0.00007, costStatus: 'PRICED' })

    const CLEAR = `mutation ($model: String!, $effectiveFrom: DateTime!) { clearPrice(model: $model, effectiveFrom: $effectiveFrom) { price { model inputUsdPerMTok } recostedRequests } }`
    const cleared = await gqlData<{ clearPrice: { price: { model: string; inputUsdPerMTok: string }; recostedRequests: number } }>(harness.url, CLEAR, override)
    expect(cleared.clearPrice).toEqual({ price: { model: 'claude-cleared-model', inputUsdPerMTok: '2' }, recostedRequests: 1 })
    // No shipped price for this model: its cost is unknown again, never $0.
    expect(await costOf()).toEqual({ costUsd: null, costStatus: 'UNKNOWN_MODEL' })
    const data = await gqlData<{ settingsChanges: Change[] }>(harness.url, `query { settingsChanges(first: 1, section: "prices") { action summary before after } }`)
    expect(data.settingsChanges[0]).toMatchObject({ action: 'clearPrice', summary: 'claude-cleared-model from 2026-01-01: override removed', before: { inputUsdPerMTok: '2' }, after: null })

    const again = await gql(harness.url, CLEAR, override)
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'PRICE_OVERRIDE_NOT_FOUND', argument: 'model' })
  })

  it('refuses a price in the document that setPrice would refuse, naming the entry, and changes nothing', async () => {
    const before = (await gqlData<{ exportSettings: { prices: unknown[] } }>(harness.url, EXPORT)).exportSettings.prices
    const document = { format: 'claudescope-settings', version: 1, prices: [{ model: 'claude-x', effectiveFrom: '2026-01-01T00:00:00Z', inputUsdPerMTok: -1, outputUsdPerMTok: 1 }] }
    const res = await fetch(`${harness.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: IMPORT, variables: { document } }) })
    const { errors } = (await res.json()) as { errors: { message: string; extensions: { code: string } }[] }
    expect(errors[0]!.extensions.code).toBe('SETTINGS_DOCUMENT_INVALID')
    expect(errors[0]!.message).toMatch(/^document\.prices\[0\] .*inputUsdPerMTok/)
    expect((await gqlData<{ exportSettings: { prices: unknown[] } }>(harness.url, EXPORT)).exportSettings.prices).toEqual(before)
  })

  it.each([
    ['not an object', [], 'document must be a JSON object'],
    ['of another format', { format: 'other', version: 1 }, 'document.format must be "claudescope-settings"'],
    ['of another version', { format: 'claudescope-settings', version: 2 }, 'document.version must be 1'],
    ['with an unknown section', { format: 'claudescope-settings', version: 1, colours: {} }, 'document.colours is not a settings section'],
    ['with header rules that are not a list', { format: 'claudescope-settings', version: 1, headerRules: {} }, 'document.headerRules must be a list'],
  ])('refuses a document %s, changing nothing', async (_case, document, message) => {
    await createRule({ scope: 'REQUEST', header: 'x-kept', action: 'BLOCK' })
    const { errors } = await gql(harness.url, IMPORT, { document })
    expect(errors?.[0]).toMatchObject({ extensions: { code: 'SETTINGS_DOCUMENT_INVALID' } })
    expect(errors?.[0]?.message).toContain(message)
    expect((await gqlData<{ headerRules: Array<{ header: string }> }>(harness.url, RULES)).headerRules.map((rule) => rule.header)).toEqual(['x-kept'])
  })

  it('refuses a document with one invalid rule with that rule\'s own error and its place, changing nothing', async () => {
    await createRule({ scope: 'REQUEST', header: 'x-kept', action: 'BLOCK' })
    const document = { format: 'claudescope-settings', version: 1, headerRules: [{ scope: 'REQUEST', header: 'x-ok', action: 'BLOCK' }, { scope: 'REQUEST', header: 'x-bad', action: 'SET', value: 'a\nb' }] }
    const { errors } = await gql(harness.url, IMPORT, { document })
    expect(errors?.[0]).toMatchObject({ extensions: { code: 'HEADER_VALUE_INVALID', argument: 'document.headerRules[1].value' } })
    expect((await gqlData<{ headerRules: Array<{ header: string }> }>(harness.url, RULES)).headerRules.map((rule) => rule.header)).toEqual(['x-kept'])
  })
})

describe('header rules on every instance', () => {
  it('loads the stored rules at start and follows another instance\'s changes through the live bus', async () => {
    const other = new HeaderRulesService({ dataSource: harness.dataSource, bus: harness.bus, audit: new SettingsAudit(harness.dataSource), instanceId: 'other-instance', logger: createLogger('silent') })
    await createRule({ scope: 'REQUEST', header: 'x-first', action: 'SET', value: '1' })
    await other.start()
    try {
      const headersOf = () => {
        const headers: string[] = []
        other.current().rewriteRequest(headers, { path: '/v1/messages', model: null })
        return headers
      }
      expect(headersOf()).toEqual(['x-first', '1'])
      await createRule({ scope: 'REQUEST', header: 'x-second', action: 'SET', value: '2' })
      await waitFor(() => headersOf().length === 4, 'the other instance to reload the rules')
      expect(headersOf()).toEqual(['x-first', '1', 'x-second', '2'])
    } finally {
      await other.close()
    }
  })

  it('converges by its periodic reload on an instance the live bus does not reach', async () => {
    const unreachedBus = createMemoryBus()
    const other = new HeaderRulesService({ dataSource: harness.dataSource, bus: unreachedBus, audit: new SettingsAudit(harness.dataSource), instanceId: 'unreached', logger: createLogger('silent'), pollIntervalMs: 50 })
    await other.start()
    try {
      expect(other.current().isEmpty).toBe(true)
      await createRule({ scope: 'RESPONSE', header: 'x-polled', action: 'BLOCK' })
      await waitFor(() => !other.current().isEmpty, 'the periodic reload to pick the new rule up')
    } finally {
      await other.close()
      await unreachedBus.close()
    }
  })

  it('applies concurrent changes one after the other, each rule getting its own place', async () => {
    const ids = await Promise.all(Array.from({ length: 6 }, (_, i) => createRule({ scope: 'REQUEST', header: `x-concurrent-${i}`, action: 'BLOCK' })))
    const { headerRules } = await gqlData<{ headerRules: Array<{ id: string; position: number }> }>(harness.url, `query { headerRules { id position } }`)
    expect(headerRules.map((rule) => rule.position)).toEqual([0, 1, 2, 3, 4, 5])
    expect(headerRules.map((rule) => rule.id).sort()).toEqual([...ids].sort())
  })
})
