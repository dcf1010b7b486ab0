import type { HeaderRule, HeaderRuleInput, Price, PriceInput, Retention, SettingsChange, Storage } from '../../client/src/graphql/settings-documents'
import type { RequestDetail } from '../../client/src/graphql/documents'
import { FakeGraphQLError, type FakeAnswers } from './fake-graphql-server'

type Headers = Record<string, string | string[]>

const MiB = 1024 * 1024

/** A database of 21 MiB whose largest tables are the body parts and the requests, with five small ones. */
export const fakeStorage = (): Storage => ({
  databaseBytes: 21 * MiB,
  tables: [
    { name: 'requests', totalBytes: 3 * MiB, indexBytes: 1.5 * MiB, rows: 12_400, rowsExact: false },
    { name: 'contents', totalBytes: 12 * MiB, indexBytes: 7.25 * MiB, rows: 3_210, rowsExact: true },
    { name: 'stream_chunks', totalBytes: 2 * MiB, indexBytes: 0.25 * MiB, rows: 9_000, rowsExact: true },
    { name: 'content_lists', totalBytes: 1 * MiB, indexBytes: 0.5 * MiB, rows: 800, rowsExact: true },
    { name: 'conversations', totalBytes: 0.5 * MiB, indexBytes: 0.25 * MiB, rows: 40, rowsExact: true },
    { name: 'conversation_messages', totalBytes: 0.75 * MiB, indexBytes: 0.25 * MiB, rows: 5_000, rowsExact: true },
    { name: 'usage_rollups', totalBytes: 64 * 1024, indexBytes: 32 * 1024, rows: 30, rowsExact: true },
    { name: 'header_rules', totalBytes: 16 * 1024, indexBytes: 8 * 1024, rows: 2, rowsExact: true },
  ],
})

/**
 * The Settings page's side of the fake server: header rules, prices, the audit and retention in
 * memory, with the refusals the real API sends for the inputs the tests use (same codes, same
 * blamed argument). A prune of `failingPruneDays` fails as a database gone away would.
 */
export function createFakeSettingsApi(options: { rules?: HeaderRuleInput[]; prices?: Price[]; unpricedModels?: string[]; requests?: () => readonly RequestDetail[]; retentionDays?: number | null; failingPruneDays?: number } = {}) {
  let sequence = 0
  const rules: HeaderRule[] = []
  const prices: Price[] = [...(options.prices ?? [])]
  const changes: SettingsChange[] = []
  const at = new Date(Date.UTC(2026, 0, 15, 12)).toISOString()

  const audit = (section: string, action: string, summary: string) =>
    changes.unshift({ id: String(changes.length + 1), changedAt: at, section, action, summary, clientAddress: '127.0.0.1', userAgent: 'test' })
  const renumber = () => rules.forEach((rule, index) => (rule.position = index))
  const find = (id: unknown) => {
    const rule = rules.find((candidate) => candidate.id === id)
    if (!rule) throw new FakeGraphQLError('HEADER_RULE_NOT_FOUND', `no header rule ${String(id)}`, 'id')
    return rule
  }
  const toRule = (input: HeaderRuleInput, id: string): HeaderRule => {
    if (input.header.trim() === '') throw new FakeGraphQLError('HEADER_NAME_EMPTY', 'rule.header must name a header, got an empty name', 'rule.header')
    if (input.value !== null && input.value !== undefined && /[\x00-\x08\x0a-\x1f\x7f]/.test(input.value)) {
      throw new FakeGraphQLError('HEADER_VALUE_INVALID', 'rule.value may hold tab, space, visible ASCII and U+0080 to U+00FF only', 'rule.value')
    }
    return { id, position: 0, scope: input.scope, header: input.header.trim().toLowerCase(), action: input.action, value: input.value ?? null, find: input.find ?? null, enabled: input.enabled ?? true, pathPrefix: input.pathPrefix ?? null, model: input.model ?? null, description: input.description ?? null, updatedAt: at }
  }
  const create = (input: HeaderRuleInput, position?: number | null) => {
    const rule = toRule(input, `rule-${++sequence}`)
    rules.splice(position ?? rules.length, 0, rule)
    renumber()
    audit('headerRules', 'createHeaderRule', `added ${rule.action} ${rule.header}`)
    return rule
  }
  for (const rule of options.rules ?? []) create(rule)
  const storage = fakeStorage()
  const retention: Retention = { retentionDays: options.retentionDays ?? null, pruning: false, lastPrune: null, lastFailure: null }
  const prune = (days: number) => {
    if (!Number.isInteger(days) || days < 1 || days > 36_500) throw new FakeGraphQLError('RETENTION_PERIOD_OUT_OF_RANGE', `olderThanDays must be a whole number of days from 1 to 36500 (got ${days})`, 'olderThanDays')
    if (days === options.failingPruneDays) {
      retention.lastFailure = { olderThanDays: days, failedAt: at, message: 'Connection terminated unexpectedly' }
      throw new FakeGraphQLError('INTERNAL_SERVER_ERROR', 'Connection terminated unexpectedly')
    }
    const deleted = { requestsDeleted: 120, contentsDeleted: 45, telemetryDeleted: 3, cutoff: new Date(Date.parse(at) - days * 86_400_000).toISOString() }
    const requests = storage.tables.find((table) => table.name === 'requests')!
    requests.rows -= deleted.requestsDeleted
    storage.databaseBytes -= MiB
    retention.lastPrune = { olderThanDays: days, finishedAt: at, deleted }
    retention.lastFailure = null
    return deleted
  }

  const answers: FakeAnswers = {
    HeaderRules: () => ({ headerRules: rules.map((rule) => ({ ...rule })) }),
    CreateHeaderRule: ({ rule, position }) => ({ createHeaderRule: { ...create(rule as HeaderRuleInput, position as number | null) } }),
    UpdateHeaderRule: ({ id, rule }) => {
      const existing = find(id)
      Object.assign(existing, { ...toRule(rule as HeaderRuleInput, existing.id), position: existing.position })
      return { updateHeaderRule: { ...existing } }
    },
    ToggleHeaderRule: ({ id, enabled }) => {
      const rule = find(id)
      rule.enabled = typeof enabled === 'boolean' ? enabled : !rule.enabled
      return { toggleHeaderRule: { ...rule } }
    },
    ReorderHeaderRules: ({ ids }) => {
      const order = ids as string[]
      if (order.length !== rules.length) throw new FakeGraphQLError('HEADER_RULE_ORDER_MISMATCH', 'ids must name every rule once', 'ids')
      rules.splice(0, rules.length, ...order.map(find))
      renumber()
      return { reorderHeaderRules: rules.map((rule) => ({ ...rule })) }
    },
    DeleteHeaderRule: ({ id }) => {
      const rule = find(id)
      rules.splice(rules.indexOf(rule), 1)
      renumber()
      return { deleteHeaderRule: { ...rule } }
    },
    RecentRequests: () => ({ requests: { nodes: (options.requests?.() ?? []).map(({ id, startedAt, method, path, model, httpStatus }) => ({ id, startedAt, method, path, model, httpStatus })) } }),
    DryRunHeaderRules: ({ requestId }) => {
      const request = options.requests?.().find((candidate) => candidate.id === requestId)
      if (!request) throw new FakeGraphQLError('REQUEST_NOT_FOUND', `no request ${String(requestId)}`, 'requestId')
      const before = { ...(request.requestHeaders as Headers) }
      const after = { ...before }
      const fired = []
      for (const rule of rules.filter((candidate) => candidate.enabled && candidate.scope === 'REQUEST')) {
        if (rule.action === 'BLOCK' && rule.header in after) delete after[rule.header]
        else if (rule.action === 'SET') after[rule.header] = rule.value ?? ''
        else continue
        fired.push({ id: rule.id, scope: rule.scope, header: rule.header, action: rule.action })
      }
      return { dryRunHeaderRules: { requestId, requestHeadersBefore: before, requestHeadersAfter: after, responseHeadersBefore: null, responseHeadersAfter: null, fired } }
    },
    PriceBook: () => ({ prices: prices.map((price) => ({ ...price })), usage: { unpricedModels: options.unpricedModels ?? [] } }),
    SetPrice: ({ price }) => {
      const input = price as PriceInput
      if (!(input.inputUsdPerMTok >= 0)) throw new FakeGraphQLError('INVALID_PRICE', 'price.inputUsdPerMTok must be a number from 0', 'price.inputUsdPerMTok')
      const row: Price = {
        id: `price-${++sequence}`,
        model: input.model,
        effectiveFrom: input.effectiveFrom,
        minInputTokens: input.minInputTokens ?? 0,
        inputUsdPerMTok: String(input.inputUsdPerMTok),
        outputUsdPerMTok: String(input.outputUsdPerMTok),
        cacheWrite5mUsdPerMTok: String(input.cacheWrite5mUsdPerMTok ?? input.inputUsdPerMTok * 1.25),
        cacheWrite1hUsdPerMTok: String(input.cacheWrite1hUsdPerMTok ?? input.inputUsdPerMTok * 2),
        cacheReadUsdPerMTok: String(input.cacheReadUsdPerMTok ?? input.inputUsdPerMTok * 0.1),
        batchMultiplier: '0.5',
        webSearchUsdPerThousand: '10',
        source: 'OVERRIDE',
        note: input.note ?? null,
      }
      prices.push(row)
      options.unpricedModels?.splice(0, options.unpricedModels.length, ...options.unpricedModels.filter((model) => model !== input.model))
      audit('prices', 'setPrice', `${input.model} from ${input.effectiveFrom.slice(0, 10)}`)
      return { setPrice: { price: row, recostedRequests: 7 } }
    },
    ExportSettings: () => ({ exportSettings: { format: 'claudescope-settings', version: 1, exportedAt: at, headerRules: rules.map(({ id, position, updatedAt, ...definition }) => definition), prices: prices.filter((price) => price.source === 'OVERRIDE').map(({ model, effectiveFrom, minInputTokens, inputUsdPerMTok, outputUsdPerMTok }) => ({ model, effectiveFrom, minInputTokens, inputUsdPerMTok: Number(inputUsdPerMTok), outputUsdPerMTok: Number(outputUsdPerMTok) })) } }),
    ImportSettings: ({ document }) => {
      const { format, version, exportedAt, ...sections } = document as Record<string, unknown>
      if (format !== 'claudescope-settings' || version !== 1) throw new FakeGraphQLError('SETTINGS_DOCUMENT_INVALID', `document.format must be "claudescope-settings", got ${JSON.stringify(format) ?? 'none'}`, 'document')
      if (Array.isArray(sections.prices)) {
        const kept = sections.prices as Array<{ model: string; effectiveFrom: string }>
        const overrides = prices.filter((price) => price.source === 'OVERRIDE' && !kept.some((entry) => entry.model === price.model && entry.effectiveFrom === price.effectiveFrom))
        for (const gone of overrides) prices.splice(prices.indexOf(gone), 1)
        audit('prices', 'importSettings', `imported ${kept.length} price overrides`)
      }
      return { importSettings: Object.keys(sections) }
    },
    ClearPrice: ({ model, effectiveFrom, minInputTokens }) => {
      const gone = prices.find((price) => price.source === 'OVERRIDE' && price.model === model && price.effectiveFrom === effectiveFrom && price.minInputTokens === minInputTokens)
      if (!gone) throw new FakeGraphQLError('PRICE_OVERRIDE_NOT_FOUND', `No price override of ${String(model)}`, 'model')
      prices.splice(prices.indexOf(gone), 1)
      audit('prices', 'clearPrice', `${gone.model} from ${gone.effectiveFrom.slice(0, 10)}: override removed`)
      return { clearPrice: { price: gone, recostedRequests: 3 } }
    },
    SettingsChanges: () => ({ settingsChanges: changes.map((change) => ({ ...change })) }),
    StorageAndRetention: () => ({ storage: { ...storage, tables: storage.tables.map((table) => ({ ...table })) }, retention: { ...retention } }),
    PruneRecords: ({ olderThanDays }) => ({ pruneRecords: prune((olderThanDays as number | null) ?? retention.retentionDays ?? Number.NaN) }),
  }
  return { answers, rules, prices, changes, storage, retention }
}
