import { flushPromises } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { getOperationName } from '@urql/core'
import type { HeaderRuleInput, Price } from '../../client/src/graphql/settings-documents'
import { createFakeGraphQLServer, recordedRequest } from '../support/fake-graphql-server'
import { createFakeSettingsApi } from '../support/fake-settings-api'
import { mountDashboardPage } from './mount-dashboard-page'

const setRule = (header: string, value: string): HeaderRuleInput => ({ scope: 'REQUEST', action: 'SET', header, value })

async function mountSettings(options: Parameters<typeof createFakeSettingsApi>[0] = {}) {
  const rows = [recordedRequest({ requestHeaders: { 'anthropic-version': '2023-06-01', 'x-team': 'blue', 'user-agent': 'claude-cli/2.1.3' } })]
  const api = createFakeSettingsApi({ requests: () => rows, ...options })
  const server = createFakeGraphQLServer({ rows, answers: api.answers })
  const wrapper = await mountDashboardPage('/settings', server.provide)
  await flushPromises()
  const sent = (name: string) => server.operations.filter((operation) => getOperationName(operation.query) === name)
  const ruleTexts = () => wrapper.findAll('li.rule').map((rule) => rule.text())
  return { wrapper, api, server, sent, ruleTexts }
}

/** Opens the new-rule form, types a SET rule and submits it; returns the form. */
async function addRule(wrapper: Awaited<ReturnType<typeof mountSettings>>['wrapper'], header: string, value: string) {
  await wrapper.find('button.primary').trigger('click')
  const form = wrapper.find('form[aria-label="New header rule"]')
  await form.find('input[name="header"]').setValue(header)
  await form.find('input[name="value"]').setValue(value)
  await form.trigger('submit')
  await flushPromises()
  return form
}

const shippedPrice = (overrides: Partial<Price> = {}): Price => ({
  id: 'shipped-1',
  model: 'claude-sonnet-4-5',
  effectiveFrom: '2025-09-29T00:00:00.000Z',
  minInputTokens: 0,
  inputUsdPerMTok: '3',
  outputUsdPerMTok: '15',
  cacheWrite5mUsdPerMTok: '3.75',
  cacheWrite1hUsdPerMTok: '6',
  cacheReadUsdPerMTok: '0.3',
  batchMultiplier: '0.5',
  webSearchUsdPerThousand: '10',
  source: 'SHIPPED',
  note: null,
  ...overrides,
})

describe('settings page: header rules', () => {
  it('lists the rules in the order they apply, and adds a new one at the end through the form', async () => {
    const { wrapper, sent, ruleTexts } = await mountSettings({ rules: [setRule('x-first', 'one'), setRule('x-second', 'two')] })
    expect(ruleTexts()).toEqual([expect.stringContaining('x-first'), expect.stringContaining('x-second')])

    await wrapper.find('button.primary').trigger('click')
    const form = wrapper.find('form[aria-label="New header rule"]')
    await form.find('select').setValue('RESPONSE')
    await form.find('input[name="header"]').setValue('X-Trace')
    await form.find('input[name="value"]').setValue('on')
    await form.find('input[name="description"]').setValue('trace every answer')
    await form.trigger('submit')
    await flushPromises()

    expect(sent('CreateHeaderRule').at(-1)?.variables).toEqual({ rule: expect.objectContaining({ scope: 'RESPONSE', action: 'SET', header: 'X-Trace', value: 'on', description: 'trace every answer', enabled: true, find: null, model: null, pathPrefix: null }) })
    expect(ruleTexts()).toHaveLength(3)
    expect(ruleTexts()[2]).toContain('x-trace')
    expect(ruleTexts()[2]).toContain('response')
    expect(wrapper.find('form[aria-label="New header rule"]').exists()).toBe(false)
    wrapper.unmount()
  })

  it('shows the server\'s HEADER_VALUE_INVALID message beside the value field and keeps the form open with what was typed', async () => {
    const { wrapper, ruleTexts } = await mountSettings()
    const form = await addRule(wrapper, 'x-bad', 'a\u0001b')

    const value = form.find('input[name="value"]')
    expect(value.attributes('aria-invalid')).toBe('true')
    const error = wrapper.find(`#${value.attributes('aria-describedby')}`)
    expect(error.text()).toContain('rule.value may hold tab, space, visible ASCII')
    expect(form.find('input[name="header"]').attributes('aria-invalid')).toBe('false')
    expect((form.find('input[name="header"]').element as HTMLInputElement).value).toBe('x-bad')
    expect(ruleTexts()).toEqual([])
    wrapper.unmount()
  })

  it('moves a focused rule down with Alt+ArrowDown, sends the new order and announces it', async () => {
    const { wrapper, sent, ruleTexts, api } = await mountSettings({ rules: [setRule('x-a', '1'), setRule('x-b', '2'), setRule('x-c', '3')] })
    await wrapper.findAll('li.rule')[0]!.trigger('keydown', { key: 'ArrowDown', altKey: true })
    await flushPromises()

    expect(sent('ReorderHeaderRules').at(-1)?.variables).toEqual({ ids: ['rule-2', 'rule-1', 'rule-3'] })
    expect(api.rules.map((rule) => rule.header)).toEqual(['x-b', 'x-a', 'x-c'])
    expect(ruleTexts().map((text) => text.match(/x-[abc]/)?.[0])).toEqual(['x-b', 'x-a', 'x-c'])
    expect(wrapper.find('[data-testid="rule-announcement"]').text()).toBe('Rule x-a moved to position 2 of 3.')

    await wrapper.findAll('li.rule')[0]!.trigger('keydown', { key: 'ArrowUp', altKey: true })
    await flushPromises()
    expect(sent('ReorderHeaderRules')).toHaveLength(1)
    wrapper.unmount()
  })

  it('moves a dragged rule to where it is dropped', async () => {
    const { wrapper, sent, api } = await mountSettings({ rules: [setRule('x-a', '1'), setRule('x-b', '2'), setRule('x-c', '3')] })
    const [first, , third] = wrapper.findAll('li.rule')
    await third!.trigger('dragstart')
    await first!.trigger('drop')
    await flushPromises()
    expect(sent('ReorderHeaderRules').at(-1)?.variables).toEqual({ ids: ['rule-3', 'rule-1', 'rule-2'] })
    expect(api.rules.map((rule) => rule.header)).toEqual(['x-c', 'x-a', 'x-b'])
    wrapper.unmount()
  })

  it('disables a rule with its switch and shows it as disabled', async () => {
    const { wrapper, sent, api } = await mountSettings({ rules: [setRule('x-a', '1')] })
    await wrapper.find('li.rule input[type="checkbox"]').trigger('change')
    await flushPromises()
    expect(sent('ToggleHeaderRule').at(-1)?.variables).toEqual({ id: 'rule-1', enabled: false })
    expect(api.rules[0]!.enabled).toBe(false)
    expect(wrapper.find('li.rule').classes()).toContain('disabled')
    expect(wrapper.find('li.rule').attributes('aria-label')).toContain('disabled')
    wrapper.unmount()
  })

  it('deletes a rule, then puts it back in its place with Undo', async () => {
    const { wrapper, ruleTexts, api } = await mountSettings({ rules: [setRule('x-a', '1'), setRule('x-b', '2'), setRule('x-c', '3')] })
    await wrapper.findAll('li.rule')[1]!.findAll('button').find((button) => button.text() === 'Delete')!.trigger('click')
    await flushPromises()
    expect(api.rules.map((rule) => rule.header)).toEqual(['x-a', 'x-c'])
    expect(ruleTexts()).toHaveLength(2)
    expect(wrapper.find('.undo').text()).toContain('Rule x-b deleted.')

    await wrapper.find('.undo button').trigger('click')
    await flushPromises()
    expect(api.rules.map((rule) => rule.header)).toEqual(['x-a', 'x-b', 'x-c'])
    expect(ruleTexts().map((text) => text.match(/x-[abc]/)?.[0])).toEqual(['x-a', 'x-b', 'x-c'])
    expect(wrapper.find('.undo').exists()).toBe(false)
    wrapper.unmount()
  })

  it('dry-runs the rules against a recent request and shows which fired and how the headers change', async () => {
    const { wrapper, sent } = await mountSettings({ rules: [{ scope: 'REQUEST', action: 'BLOCK', header: 'x-team' }, setRule('x-env', 'staging')] })
    const dryRun = wrapper.find('.dry-run')
    expect(dryRun.findAll('option')).toHaveLength(1)
    await dryRun.find('form').trigger('submit')
    await flushPromises()

    expect(sent('DryRunHeaderRules').at(-1)?.variables).toEqual({ requestId: expect.stringMatching(/^0190a000/) })
    expect(dryRun.find('.outcome').text()).toContain('BLOCK x-team (request)')
    expect(dryRun.find('.outcome').text()).toContain('SET x-env (request)')
    const changed = dryRun.findAll('tbody tr').map((row) => row.text())
    expect(changed).toEqual(['x-envabsentstaging', 'x-teamblueremoved'])
    wrapper.unmount()
  })
})

describe('settings page: prices', () => {
  it('lists the price book, flags models without a price, and sets one, saying how many requests were re-costed', async () => {
    const unpricedModels = ['claude-mystery-9']
    const { wrapper, sent } = await mountSettings({ prices: [shippedPrice()], unpricedModels })
    const book = wrapper.find('.price-book')
    expect(book.find('tbody').text()).toContain('claude-sonnet-4-5')
    expect(book.find('tbody').text()).toContain('shipped')
    expect(book.find('.unpriced').text()).toContain('claude-mystery-9')

    await book.find('.unpriced button').trigger('click')
    const form = book.find('form[aria-label="Set a price"]')
    expect((form.find('input[name="model"]').element as HTMLInputElement).value).toBe('claude-mystery-9')
    await form.find('input[name="input"]').setValue('2')
    await form.find('input[name="output"]').setValue('8')
    await form.trigger('submit')
    await flushPromises()

    expect(sent('SetPrice').at(-1)?.variables).toEqual({ price: expect.objectContaining({ model: 'claude-mystery-9', inputUsdPerMTok: 2, outputUsdPerMTok: 8, cacheReadUsdPerMTok: null }) })
    expect(book.find('.outcome').text()).toContain('7 recorded requests were re-costed')
    expect(book.find('.unpriced').exists()).toBe(false)
    const override = book.findAll('tbody tr').find((row) => row.text().includes('claude-mystery-9'))!
    expect(override.text()).toContain('override')
    expect(override.find('button[aria-label="Clear override of claude-mystery-9"]').exists()).toBe(true)
    expect(wrapper.find('.audit').text()).toContain('claude-mystery-9')
    wrapper.unmount()
  })

  it('clears one override with clearPrice, naming its model, date and tier, and leaves the others', async () => {
    const effectiveFrom = '2026-01-01T00:00:00.000Z'
    const sonnet = shippedPrice({ id: 'override-1', source: 'OVERRIDE', inputUsdPerMTok: '2', effectiveFrom })
    const haiku = shippedPrice({ id: 'override-2', model: 'claude-haiku-4-5', source: 'OVERRIDE', inputUsdPerMTok: '0.5', effectiveFrom })
    const { wrapper, sent } = await mountSettings({ prices: [shippedPrice(), sonnet, haiku] })
    await wrapper.find('button[aria-label="Clear override of claude-sonnet-4-5"]').trigger('click')
    await flushPromises()

    expect(sent('ClearPrice').map((operation) => operation.variables)).toEqual([{ model: 'claude-sonnet-4-5', effectiveFrom, minInputTokens: 0 }])
    expect(sent('ImportSettings')).toHaveLength(0)
    const rows = wrapper.findAll('.price-book tbody tr').map((row) => row.text())
    expect(rows).toEqual([expect.stringContaining('shipped'), expect.stringContaining('claude-haiku-4-5')])
    expect(wrapper.find('.price-book .outcome').text()).toContain('re-costed with the shipped price')
    wrapper.unmount()
  })
})

/** Chooses `content` as the file of the settings file input, as a viewer picking it would. */
async function chooseFile(wrapper: Awaited<ReturnType<typeof mountSettings>>['wrapper'], name: string, content: string) {
  const input = wrapper.find('input[type="file"]')
  Object.defineProperty(input.element, 'files', { value: [new File([content], name, { type: 'application/json' })], configurable: true })
  await input.trigger('change')
  await flushPromises()
}

describe('settings page: export, import and audit', () => {
  it('imports a settings file, says which sections it replaced and reloads the rules', async () => {
    const { wrapper, sent } = await mountSettings({ rules: [setRule('x-a', '1')] })
    const reloadsBefore = sent('HeaderRules').length
    await chooseFile(wrapper, 'team.json', JSON.stringify({ format: 'claudescope-settings', version: 1, headerRules: [] }))
    expect(sent('ImportSettings').at(-1)?.variables).toEqual({ document: { format: 'claudescope-settings', version: 1, headerRules: [] } })
    expect(wrapper.find('.transfer').text()).toContain('Imported team.json: replaced headerRules.')
    expect(sent('HeaderRules').length).toBeGreaterThan(reloadsBefore)
    wrapper.unmount()
  })

  it('shows the server\'s refusal of a file that is not a settings document, and a parse error for one that is not JSON', async () => {
    const { wrapper, sent } = await mountSettings()
    await chooseFile(wrapper, 'other.json', JSON.stringify({ format: 'something-else', version: 1 }))
    expect(wrapper.find('.transfer [role="alert"]').text()).toContain('document.format must be "claudescope-settings", got "something-else"')

    await chooseFile(wrapper, 'broken.json', '{"format":')
    expect(wrapper.find('.transfer [role="alert"]').text()).toContain('broken.json is not JSON')
    expect(sent('ImportSettings')).toHaveLength(1)
    wrapper.unmount()
  })

  it('lists the audit trail newest first, and shows a change made on the page once it is made', async () => {
    const { wrapper } = await mountSettings({ rules: [setRule('x-a', '1')] })
    expect(wrapper.findAll('.audit li').map((item) => item.text())).toEqual([expect.stringContaining('added SET x-a')])
    await addRule(wrapper, 'x-b', '2')
    expect(wrapper.findAll('.audit li').map((item) => item.text())).toEqual([expect.stringContaining('added SET x-b'), expect.stringContaining('added SET x-a')])
    wrapper.unmount()
  })
})

describe('settings page: storage and retention', () => {
  const figure = (wrapper: Awaited<ReturnType<typeof mountSettings>>['wrapper'], name: string) => wrapper.find(`.storage .${name}`).text()
  const tableRows = (wrapper: Awaited<ReturnType<typeof mountSettings>>['wrapper']) => wrapper.findAll('.storage tbody tr').map((row) => row.findAll('th, td').map((cell) => cell.text()))

  it('shows the database size, the largest tables by size in words with the rest summed, and that records stay until pruned by hand without RETENTION_DAYS', async () => {
    const { wrapper } = await mountSettings()

    expect(figure(wrapper, 'database-size')).toBe("21.0 MiB, of which 19.3 MiB in Claudescope's tables (the rest is PostgreSQL's own)")
    expect(figure(wrapper, 'kept-for')).toBe('Until pruned by hand: RETENTION_DAYS is not set.')
    expect(figure(wrapper, 'last-prune')).toBe('None since Claudescope started.')
    expect(tableRows(wrapper)).toEqual([
      ['Body parts, each stored once', '12.0 MiB', '7.25 MiB', '3,210'],
      ['Requests', '3.00 MiB', '1.50 MiB', '≈ 12,400'],
      ['Stream events', '2.00 MiB', '256 KiB', '9,000'],
      ['Lists of body parts', '1.00 MiB', '512 KiB', '800'],
      ['Conversation messages', '768 KiB', '256 KiB', '5,000'],
      ['Conversations', '512 KiB', '256 KiB', '40'],
      ['2 other tables', '80.0 KiB', '40.0 KiB', ''],
    ])
    wrapper.unmount()
  })

  it('prunes the days typed only once confirmed, says what went, and reads the space and the last prune again', async () => {
    const { wrapper, sent } = await mountSettings({ retentionDays: 30 })
    expect(figure(wrapper, 'kept-for')).toBe('30 days (RETENTION_DAYS): older records are pruned shortly after start and every hour.')
    const days = wrapper.find<HTMLInputElement>('form[aria-label="Prune records"] input[name="olderThanDays"]')
    expect(days.element.value).toBe('30')

    await days.setValue('14')
    await wrapper.find('form[aria-label="Prune records"]').trigger('submit')
    const confirm = wrapper.find('.storage [role="alertdialog"]')
    expect(confirm.text()).toContain('Delete every request that started more than 14 days ago')
    await confirm.findAll('button').find((button) => button.text() === 'Cancel')!.trigger('click')
    expect(wrapper.find('.storage [role="alertdialog"]').exists()).toBe(false)
    expect(sent('PruneRecords')).toHaveLength(0)

    const readsBefore = sent('StorageAndRetention').length
    await wrapper.find('form[aria-label="Prune records"]').trigger('submit')
    await wrapper.find('.storage [role="alertdialog"] button.danger').trigger('click')
    await flushPromises()

    expect(sent('PruneRecords').map((operation) => operation.variables)).toEqual([{ olderThanDays: 14 }])
    expect(wrapper.find('.storage .outcome').text()).toMatch(/^Pruned: 120 requests, 45 body parts and 3 Claude Code telemetry records deleted, those older than .+\.$/)
    expect(sent('StorageAndRetention').length).toBe(readsBefore + 1)
    expect(figure(wrapper, 'database-size')).toMatch(/^20.0 MiB,/)
    expect(figure(wrapper, 'last-prune')).toMatch(/, keeping 14 days: 120 requests, 45 body parts and 3 Claude Code telemetry records deleted/)
    wrapper.unmount()
  })

  it('refuses a period that is not a whole number of days beside the field, shows the server\'s refusal there too, and a failed prune as the last failure', async () => {
    const { wrapper, sent } = await mountSettings({ failingPruneDays: 7 })
    const form = wrapper.find('form[aria-label="Prune records"]')
    const days = form.find('input[name="olderThanDays"]')
    const confirmAndPrune = async () => {
      await form.trigger('submit')
      await wrapper.find('.storage [role="alertdialog"] button.danger').trigger('click')
      await flushPromises()
    }

    await days.setValue('0')
    await form.trigger('submit')
    expect(days.attributes('aria-invalid')).toBe('true')
    expect(wrapper.find(`#${days.attributes('aria-describedby')}`).text()).toBe('Give a whole number of days, 1 or more.')
    expect(wrapper.find('.storage [role="alertdialog"]').exists()).toBe(false)

    await days.setValue('40000')
    await confirmAndPrune()
    expect(wrapper.find(`#${days.attributes('aria-describedby')}`).text()).toBe('olderThanDays must be a whole number of days from 1 to 36500 (got 40000)')

    await days.setValue('7')
    await confirmAndPrune()
    expect(days.attributes('aria-invalid')).toBe('false')
    expect(wrapper.find('.storage [role="alert"]').text()).toBe('Connection terminated unexpectedly')
    expect(figure(wrapper, 'last-prune')).toMatch(/The prune of .+ failed: Connection terminated unexpectedly$/)
    expect(sent('PruneRecords')).toHaveLength(2)
    wrapper.unmount()
  })
})
