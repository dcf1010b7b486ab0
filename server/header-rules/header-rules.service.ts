import { randomUUID } from 'node:crypto'
import type { DataSource, EntityManager } from 'typeorm'
import { UserInputError } from '../graphql/errors'
import type { OperationClient } from '../graphql/graphql-server'
import type { LiveBus } from '../live/live-bus'
import type { Logger } from '../logger'
import { NO_HEADER_REWRITE, type HeaderRewrite } from '../proxy/header-rewrite'
import type { SettingsAudit } from '../settings/settings-audit'
import type { SettingsSection } from '../settings/settings-section'
import { HeaderRuleEntity } from '../store/entities/header-rule.entity'
import { compileHeaderRules } from './compile-header-rules'
import type { HeaderRuleDefinition, HeaderRuleRecord, ValidHeaderRule } from './header-rule'
import { validateHeaderRule } from './validate-header-rule'

/** The section name in settings invalidations, the audit and the settings document. */
export const HEADER_RULES_SECTION = 'headerRules'

export interface HeaderRulesServiceOptions {
  dataSource: DataSource
  bus: LiveBus
  audit: SettingsAudit
  /** This instance, named in the invalidations it publishes. */
  instanceId: string
  logger: Logger
  /**
   * Also reloads on this period, so instances sharing a database converge even where the live bus
   * does not reach from one to the other (the in-process bus). Off when unset: one instance, or a
   * bus between instances, needs no polling.
   */
  pollIntervalMs?: number
}

/**
 * The header rules: validation, storage in order, the audit of each change, and the compiled
 * snapshot the proxy reads on every request. Each change commits, then this instance reloads its
 * snapshot before the mutation answers (so the very next request sees it) and publishes an
 * invalidation on the live bus, on which every other instance reloads from the database.
 */
export class HeaderRulesService implements SettingsSection<ValidHeaderRule[]> {
  readonly key = HEADER_RULES_SECTION
  #snapshot: HeaderRewrite = NO_HEADER_REWRITE
  /** The reload running now, and the one queued behind it (which will see every write made before it was asked for). */
  #loading: Promise<void> | null = null
  #queued: Promise<void> | null = null
  #invalidations: AsyncIterableIterator<unknown> | null = null
  #pollTimer: NodeJS.Timeout | null = null
  readonly #dataSource: DataSource
  readonly #bus: LiveBus
  readonly #audit: SettingsAudit
  readonly #instanceId: string
  readonly #logger: Logger
  readonly #pollIntervalMs: number | undefined

  constructor(options: HeaderRulesServiceOptions) {
    this.#pollIntervalMs = options.pollIntervalMs
    this.#dataSource = options.dataSource
    this.#bus = options.bus
    this.#audit = options.audit
    this.#instanceId = options.instanceId
    this.#logger = options.logger
  }

  /** The compiled rules in force; for the proxy, called once per exchange. Never waits. */
  readonly current = (): HeaderRewrite => this.#snapshot

  /** Loads the rules and starts following other instances' changes. */
  async start(): Promise<void> {
    const invalidations = this.#bus.subscribe((event) => event.kind === 'settings' && event.section === HEADER_RULES_SECTION && event.origin !== this.#instanceId, { internal: true, kinds: ['settings'] })
    this.#invalidations = invalidations
    void (async () => {
      for await (const _event of invalidations) await this.#reloadLogged()
    })()
    await this.reload()
    if (this.#pollIntervalMs !== undefined) {
      this.#pollTimer = setInterval(() => void this.#reloadLogged(), this.#pollIntervalMs)
      this.#pollTimer.unref()
    }
  }

  /** Stops following changes. */
  async close(): Promise<void> {
    if (this.#pollTimer !== null) clearInterval(this.#pollTimer)
    this.#pollTimer = null
    await this.#invalidations?.return?.()
  }

  #reloadLogged(): Promise<void> {
    return this.reload().catch((err: unknown) => this.#logger.error({ err }, 'header rules could not be reloaded after a change elsewhere; the previous rules stay in force'))
  }

  /**
   * Reads the rules from the database and swaps the snapshot. Calls during a reload share one
   * more reload after it, so the snapshot always ends up as new as the last write before the call.
   */
  reload(): Promise<void> {
    if (this.#loading === null) {
      this.#loading = this.#load().finally(() => {
        this.#loading = null
      })
      return this.#loading
    }
    this.#queued ??= this.#loading.then(
      () => this.#afterQueued(),
      () => this.#afterQueued(),
    )
    return this.#queued
  }

  #afterQueued(): Promise<void> {
    this.#queued = null
    return this.reload()
  }

  async #load(): Promise<void> {
    const rules = await this.list()
    this.#snapshot = compileHeaderRules(rules)
  }

  /** Every rule, in the order they apply. */
  async list(manager: EntityManager = this.#dataSource.manager): Promise<HeaderRuleRecord[]> {
    const rows = await manager.getRepository(HeaderRuleEntity).find({ order: { position: 'ASC', createdAt: 'ASC', id: 'ASC' } })
    return rows.map(toRecord)
  }

  /** Adds a rule at `position` (0-based; default and beyond the end: last). */
  create(definition: HeaderRuleDefinition, position: number | null | undefined, client: OperationClient): Promise<HeaderRuleRecord> {
    const rule = validateHeaderRule(definition)
    return this.#change('createHeaderRule', client, (rules) => {
      const now = new Date()
      const at = position === null || position === undefined ? rules.length : Math.max(0, Math.min(position, rules.length))
      const created: HeaderRuleRecord = { ...rule, id: randomUUID(), position: at, createdAt: now, updatedAt: now }
      rules.splice(at, 0, created)
      return { rules, result: created, summary: `created ${describe(created)} at position ${at}`, before: null, after: exported(created) }
    })
  }

  /** Replaces what rule `id` does, keeping its place. */
  update(id: string, definition: HeaderRuleDefinition, client: OperationClient): Promise<HeaderRuleRecord> {
    const rule = validateHeaderRule(definition)
    return this.#change('updateHeaderRule', client, (rules) => {
      const at = indexOf(rules, id)
      const before = rules[at]!
      const updated: HeaderRuleRecord = { ...before, ...rule, updatedAt: new Date() }
      rules[at] = updated
      return { rules, result: updated, summary: `updated ${describe(before)} to ${describe(updated)}`, before: exported(before), after: exported(updated) }
    })
  }

  /** Enables or disables rule `id`; without `enabled`, flips it. */
  toggle(id: string, enabled: boolean | null | undefined, client: OperationClient): Promise<HeaderRuleRecord> {
    return this.#change('toggleHeaderRule', client, (rules) => {
      const at = indexOf(rules, id)
      const before = rules[at]!
      const updated: HeaderRuleRecord = { ...before, enabled: enabled ?? !before.enabled, updatedAt: new Date() }
      rules[at] = updated
      return { rules, result: updated, summary: `${updated.enabled ? 'enabled' : 'disabled'} ${describe(updated)}`, before: exported(before), after: exported(updated) }
    })
  }

  /** Puts the rules in the order of `ids`, which must name every rule exactly once. */
  reorder(ids: readonly string[], client: OperationClient): Promise<HeaderRuleRecord[]> {
    return this.#change('reorderHeaderRules', client, (rules) => {
      const byId = new Map(rules.map((rule) => [rule.id, rule]))
      const isPermutation = ids.length === rules.length && new Set(ids).size === ids.length && ids.every((id) => byId.has(id))
      if (!isPermutation) {
        throw new UserInputError('HEADER_RULE_ORDER_MISMATCH', `ids must name each of the ${rules.length} rules exactly once, got ${ids.length} ids (${ids.join(', ') || 'none'})`, 'ids')
      }
      const reordered = ids.map((id) => byId.get(id)!)
      return { rules: reordered, result: reordered.map((rule, position) => ({ ...rule, position })), summary: `reordered ${rules.length} rules`, before: rules.map((rule) => rule.id), after: [...ids] }
    })
  }

  /** Deletes rule `id`; returns it as it was. */
  delete(id: string, client: OperationClient): Promise<HeaderRuleRecord> {
    return this.#change('deleteHeaderRule', client, (rules) => {
      const at = indexOf(rules, id)
      const [deleted] = rules.splice(at, 1)
      return { rules, result: deleted!, summary: `deleted ${describe(deleted!)}`, before: exported(deleted!), after: null }
    })
  }

  async exportSettings(): Promise<HeaderRuleDefinition[]> {
    return (await this.list()).map(exported)
  }

  parseSettings(value: unknown, path: string): ValidHeaderRule[] {
    if (!Array.isArray(value)) throw new UserInputError('SETTINGS_DOCUMENT_INVALID', `${path} must be a list of header rules, got ${value === null ? 'null' : typeof value}`, path)
    return value.map((rule, index) => {
      if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) {
        throw new UserInputError('SETTINGS_DOCUMENT_INVALID', `${path}[${index}] must be a header rule object, got ${JSON.stringify(rule)}`, `${path}[${index}]`)
      }
      return validateHeaderRule(rule as HeaderRuleDefinition, `${path}[${index}]`)
    })
  }

  async replaceSettings(manager: EntityManager, rules: ValidHeaderRule[]): Promise<{ before: unknown; after: unknown; summary: string }> {
    await lockRules(manager)
    const before = await this.list(manager)
    const now = new Date()
    const after = rules.map((rule, position): HeaderRuleRecord => ({ ...rule, id: randomUUID(), position, createdAt: now, updatedAt: now }))
    await writeRules(manager, before, after)
    return { before: before.map(exported), after: after.map(exported), summary: `imported ${after.length} header rules in place of ${before.length}` }
  }

  async settingsChanged(): Promise<void> {
    await this.reload()
    this.#bus.publish({ kind: 'settings', section: HEADER_RULES_SECTION, origin: this.#instanceId })
  }

  /**
   * One change: under a lock on the rules (so concurrent changes apply one after the other), `edit`
   * takes the rules in order and returns them as they should be; the rows and an audit entry are
   * written in the same transaction. Then the snapshot is reloaded and other instances told.
   */
  async #change<T>(
    action: string,
    client: OperationClient,
    edit: (rules: HeaderRuleRecord[]) => { rules: HeaderRuleRecord[]; result: T; summary: string; before: unknown; after: unknown },
  ): Promise<T> {
    const result = await this.#dataSource.transaction(async (manager) => {
      await lockRules(manager)
      const current = await this.list(manager)
      const change = edit([...current])
      await writeRules(manager, current, change.rules)
      await this.#audit.record(manager, { section: HEADER_RULES_SECTION, action, summary: change.summary, before: change.before, after: change.after }, client)
      return change.result
    })
    await this.settingsChanged()
    return result
  }
}

/** Serialises changes of the rules across connections and instances; reads are not blocked. */
async function lockRules(manager: EntityManager): Promise<void> {
  await manager.query(`LOCK TABLE header_rules IN SHARE ROW EXCLUSIVE MODE`)
}

/** Makes the stored rules `after` (numbered by their place) from `before`: rows gone are deleted, the rest upserted. */
async function writeRules(manager: EntityManager, before: readonly HeaderRuleRecord[], after: readonly HeaderRuleRecord[]): Promise<void> {
  const kept = new Set(after.map((rule) => rule.id))
  const gone = before.filter((rule) => !kept.has(rule.id)).map((rule) => rule.id)
  const repository = manager.getRepository(HeaderRuleEntity)
  if (gone.length > 0) await repository.delete(gone)
  const previous = new Map(before.map((rule) => [rule.id, rule]))
  const changed = after
    .map((rule, position) => ({ ...rule, position }))
    .filter((rule) => {
      const old = previous.get(rule.id)
      return old === undefined || old.position !== rule.position || old.updatedAt !== rule.updatedAt
    })
  if (changed.length > 0) await repository.save(changed.map(toEntity))
}

function indexOf(rules: readonly HeaderRuleRecord[], id: string): number {
  const at = rules.findIndex((rule) => rule.id === id)
  if (at === -1) throw new UserInputError('HEADER_RULE_NOT_FOUND', `No header rule with id ${id}`, 'id')
  return at
}

/** A rule as the settings document and the audit hold it: what it does, without storage fields. */
function exported(rule: HeaderRuleRecord): HeaderRuleDefinition {
  const { scope, header, action, value, find, enabled, pathPrefix, model, description } = rule
  return { scope, header, action, value, find, enabled, pathPrefix, model, description }
}

function describe(rule: ValidHeaderRule): string {
  const what = rule.action === 'REPLACE' ? `REPLACE ${JSON.stringify(rule.find)} with ${JSON.stringify(rule.value)} in` : rule.action === 'SET' ? `SET ${JSON.stringify(rule.value)} as` : 'BLOCK'
  const conditions = [rule.pathPrefix && `path ${rule.pathPrefix}*`, rule.model && `model ${rule.model}`].filter(Boolean).join(', ')
  return `${rule.scope} rule ${what} ${rule.header}${conditions ? ` (${conditions})` : ''}`
}

function toRecord(row: HeaderRuleEntity): HeaderRuleRecord {
  return {
    id: row.id,
    position: row.position,
    scope: row.scope as HeaderRuleRecord['scope'],
    header: row.header,
    action: row.action as HeaderRuleRecord['action'],
    value: row.value,
    find: row.find,
    enabled: row.enabled,
    pathPrefix: row.pathPrefix,
    model: row.model,
    description: row.description,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  }
}

function toEntity(rule: HeaderRuleRecord): HeaderRuleEntity {
  return Object.assign(new HeaderRuleEntity(), rule)
}
