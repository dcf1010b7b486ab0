import { setImmediate as nextTurn } from 'node:timers/promises'
import type { DataSource, EntityManager } from 'typeorm'
import type { Logger } from '../logger'
import type { UsageRecord } from '../records/request-record'
import { ROLLUP_GRAINS, USAGE_ROLLUPS_TABLE } from '../store/tables/usage-rollups.table'
import { costOf, type CostInput } from './cost'
import { PriceBook } from './price-book'
import { SHIPPED_ALIASES, SHIPPED_PRICES } from './price-data'
import { parsePriceDocuments, toOverrideRow, toPriceInputDocument, type PriceInputDocument, type PriceInputValues } from './price-input'
import type { PricingSource } from './priced-capture-store'
import type { PriceRow } from './price-row'
import type { SettingsSection } from '../settings/settings-section'

export interface PricesServiceOptions {
  dataSource: DataSource
  logger: Logger
  /** Records costed per statement when costing history. @default 500 */
  batchSize?: number
  /** Wait before trying again when the overrides cannot be read (the database is down). @default 30_000 */
  retryMs?: number
}

export interface SetPriceResult {
  price: PriceRow
  /** Finished requests whose cost, price row or status changed. */
  recostedRequests: number
}

/**
 * Runs in the transaction that stores a price, with the override it replaced (null when none)
 * and the one stored: an audit entry written there commits or fails with the change.
 */
export type PriceStoredHook = (manager: EntityManager, before: PriceRow | null, after: PriceRow) => Promise<void>

/** Which override a clearPrice removes: the model's price key, the date it took effect and its tier. */
export interface OverrideKey {
  model: string
  effectiveFrom: Date
  minInputTokens: number
}

const OVERRIDES = 'price_overrides'
const OVERRIDE_COLUMNS = `id, model, effective_from, min_input_tokens::text, input_usd_per_mtok::text, output_usd_per_mtok::text, cache_write_5m_usd_per_mtok::text,
  cache_write_1h_usd_per_mtok::text, cache_read_usd_per_mtok::text, batch_multiplier::text, geo_multipliers, web_search_usd_per_thousand::text, note`

/** The request columns pricing reads, as a stored row gives them. */
const COSTED_COLUMNS = `r.id, r.path, r.model, r.routed_model, r.started_at, r.input_tokens::text, r.output_tokens::text, r.cache_creation_input_tokens::text,
  r.cache_creation_5m_input_tokens::text, r.cache_creation_1h_input_tokens::text, r.cache_read_input_tokens::text, r.thinking_tokens::text,
  r.web_search_requests, r.web_fetch_requests, r.service_tier, r.inference_geo, r.cost_usd::text, r.price_id, r.cost_status`

/**
 * The price book: the shipped prices with the overrides kept in `price_overrides` over them, and
 * the costing of history. A change of price re-costs the finished requests it may concern, in
 * short batches (each its own statement, the event loop free between them), and the rollup
 * triggers move the sums with them. Records the writer could not price (the book not loaded yet,
 * rows from before pricing existed) are costed once the book is loaded.
 */
export class PricesService implements PricingSource, SettingsSection<PriceInputValues[]> {
  readonly key = 'prices'
  readonly #dataSource: DataSource
  readonly #logger: Logger
  readonly #batchSize: number
  readonly #retryMs: number
  #book: PriceBook | null = null
  #loading: Promise<PriceBook> | null = null
  /** One history pass at a time (setPrice re-costs, or the pass over unpriced records). */
  #pass: Promise<unknown> = Promise.resolve()
  #closed = false
  #retry: NodeJS.Timeout | undefined
  #refresh: NodeJS.Timeout | undefined
  /** Count and latest change of the overrides the book was built from. */
  #overridesSignature = ''
  /** Models an import changed, with the earliest date concerned: re-costed once it committed. */
  readonly #imported = new Map<string, Date>()

  constructor(options: PricesServiceOptions) {
    this.#dataSource = options.dataSource
    this.#logger = options.logger
    this.#batchSize = options.batchSize ?? 500
    this.#retryMs = options.retryMs ?? 30_000
  }

  /** The book the writer prices with; null until the overrides have been read once. */
  current(): PriceBook | null {
    return this.#book
  }

  /**
   * Loads the book, then costs the finished records still without a cost; retries while the
   * database fails. Then checks the overrides every `refreshMs`, so a price set through another
   * instance prices this one's records too. Never throws.
   */
  start(refreshMs = 60_000): void {
    void this.#loadAndCostUnpriced()
    this.#refresh = setInterval(() => void this.#refreshIfChanged(), refreshMs).unref()
  }

  /** The book, loaded from the database on first use. */
  async book(): Promise<PriceBook> {
    if (this.#book !== null) return this.#book
    return (this.#loading ??= this.#reload().finally(() => (this.#loading = null)))
  }

  /** Every price row in force, optionally of one model (any of its ids). */
  async list(model?: string | null): Promise<readonly PriceRow[]> {
    const book = await this.book()
    if (model === null || model === undefined) return book.rows
    const key = book.keyOf(model)
    return book.rows.filter((row) => row.model === key)
  }

  /**
   * Sets the prices of one model from a date on (replacing an override or shipped row of the same
   * model, date and tier), then re-costs the finished requests of that model started since then.
   * Throws an INVALID_PRICE UserInputError for a value out of range.
   */
  async setPrice(values: PriceInputValues, onStored?: PriceStoredHook): Promise<SetPriceResult> {
    const book = await this.book()
    const row = toOverrideRow(values, book.keyOf(values.model))
    const stored = await this.#dataSource.transaction(async (manager) => {
      const [before] = (await manager.query(`SELECT ${OVERRIDE_COLUMNS} FROM ${OVERRIDES} WHERE model = $1 AND effective_from = $2 AND min_input_tokens = $3`, [
        row.model,
        row.effectiveFrom,
        row.minInputTokens,
      ])) as OverrideRow[]
      const after = await insertOverride(manager, row)
      await onStored?.(manager, before === undefined ? null : toPriceRow(before), toPriceRow(after))
      return after
    })
    const updated = await this.#reload()
    const recostedRequests = await this.#inTurn(() => this.#recostModel(updated, row.model, row.effectiveFrom))
    return { price: toPriceRow(stored), recostedRequests }
  }

  /**
   * Removes one override, so the shipped price (or an earlier override) applies again, then
   * re-costs the finished requests of its model started since it took effect; null when there is
   * no such override. `onCleared` runs in the deletion's transaction (the audit).
   */
  async clearPrice(key: OverrideKey, onCleared?: (manager: EntityManager, before: PriceRow) => Promise<void>): Promise<SetPriceResult | null> {
    const removed = await this.#dataSource.transaction(async (manager) => {
      // TypeORM answers a DELETE with [rows, affected count].
      const [[row]] = (await manager.query(`DELETE FROM ${OVERRIDES} WHERE model = $1 AND effective_from = $2 AND min_input_tokens = $3 RETURNING ${OVERRIDE_COLUMNS}`, [
        key.model,
        key.effectiveFrom,
        key.minInputTokens,
      ])) as [OverrideRow[], number]
      if (row !== undefined) await onCleared?.(manager, toPriceRow(row))
      return row
    })
    if (removed === undefined) return null
    const updated = await this.#reload()
    const recostedRequests = await this.#inTurn(() => this.#recostModel(updated, key.model, key.effectiveFrom))
    return { price: toPriceRow(removed), recostedRequests }
  }

  /** The overrides, in the form setPrice takes: the settings document's `prices`. */
  async exportSettings(): Promise<PriceInputDocument[]> {
    const rows = (await this.#dataSource.query(`SELECT ${OVERRIDE_COLUMNS} FROM ${OVERRIDES} ORDER BY model, effective_from, min_input_tokens`)) as OverrideRow[]
    return rows.map((row) => toPriceInputDocument(toPriceRow(row)))
  }

  parseSettings(value: unknown, path: string): PriceInputValues[] {
    return parsePriceDocuments(value, path)
  }

  /** Replaces every override with the document's; the models either touches are re-costed once it committed. */
  async replaceSettings(manager: EntityManager, parsed: PriceInputValues[]): Promise<{ before: unknown; after: unknown; summary: string }> {
    const book = await this.book()
    const before = ((await manager.query(`SELECT ${OVERRIDE_COLUMNS} FROM ${OVERRIDES} ORDER BY model, effective_from, min_input_tokens`)) as OverrideRow[]).map(toPriceRow)
    await manager.query(`DELETE FROM ${OVERRIDES}`)
    const after: PriceRow[] = []
    for (const values of parsed) after.push(toPriceRow(await insertOverride(manager, toOverrideRow(values, book.keyOf(values.model)))))
    for (const row of [...before, ...after]) {
      const from = this.#imported.get(row.model)
      if (from === undefined || row.effectiveFrom < from) this.#imported.set(row.model, row.effectiveFrom)
    }
    return { before: before.map(toPriceInputDocument), after: after.map(toPriceInputDocument), summary: `imported ${after.length} price overrides in place of ${before.length}` }
  }

  /** After an import: the book is reloaded here (other instances within their refresh) and the history it changed re-costed. */
  async settingsChanged(): Promise<void> {
    const book = await this.#reload()
    const imported = [...this.#imported]
    this.#imported.clear()
    for (const [model, from] of imported) await this.#inTurn(() => this.#recostModel(book, model, from))
  }

  recostLater(ids: readonly string[]): void {
    if (ids.length === 0 || this.#closed) return
    this.#inTurn(async () => this.#costPass(await this.book(), `r.id = ANY($1) AND r.status <> 'IN_FLIGHT'`, [ids])).catch((err: unknown) => {
      // Left as they are, the rows keep the cost of the previous book until the next price change.
      this.#logger.warn({ err, requests: ids.length }, 'could not cost again requests written while the price book changed')
    })
  }

  /** Stops the retry and refresh timers, and any history pass after its current batch. */
  close(): void {
    this.#closed = true
    clearTimeout(this.#retry)
    clearInterval(this.#refresh)
  }

  async #refreshIfChanged(): Promise<void> {
    try {
      if (this.#book !== null && (await this.#signature()) !== this.#overridesSignature) await this.#reload()
    } catch (err) {
      this.#logger.warn({ err }, 'could not check the price overrides for changes')
    }
  }

  async #signature(): Promise<string> {
    const [row] = (await this.#dataSource.query(`SELECT count(*)::text AS n, max(updated_at)::text AS at FROM ${OVERRIDES}`)) as Array<{ n: string; at: string | null }>
    return `${row!.n}|${row!.at}`
  }

  async #reload(): Promise<PriceBook> {
    this.#overridesSignature = await this.#signature()
    const overrides = ((await this.#dataSource.query(`SELECT ${OVERRIDE_COLUMNS} FROM ${OVERRIDES}`)) as OverrideRow[]).map(toPriceRow)
    return (this.#book = new PriceBook(SHIPPED_PRICES, overrides, SHIPPED_ALIASES))
  }

  async #loadAndCostUnpriced(): Promise<void> {
    try {
      const book = await this.book()
      const costed = await this.#inTurn(() => this.#costPass(book, `r.cost_status IS NULL AND r.status <> 'IN_FLIGHT'`, []))
      if (costed > 0) this.#logger.info({ costed }, 'costed finished requests that had no cost yet')
    } catch (err) {
      if (this.#closed) return
      this.#logger.warn({ err }, `pricing could not read the database; trying again in ${this.#retryMs} ms`)
      this.#retry = setTimeout(() => void this.#loadAndCostUnpriced(), this.#retryMs).unref()
    }
  }

  /** Runs `pass` after the pass in progress, so two never cost the same rows at once. */
  #inTurn<T>(pass: () => Promise<T>): Promise<T> {
    const next = this.#pass.then(pass, pass)
    this.#pass = next.catch(() => undefined)
    return next
  }

  /** Re-costs the finished requests of every model id with price key `modelKey` started at or after `from`. */
  async #recostModel(book: PriceBook, modelKey: string, from: Date): Promise<number> {
    const grain = ROLLUP_GRAINS[0].name
    const names = ((await this.#dataSource.query(`SELECT DISTINCT model FROM ${USAGE_ROLLUPS_TABLE} WHERE grain = $1 AND model <> ''`, [grain])) as Array<{ model: string }>)
      .map((row) => row.model)
      .filter((name) => book.keyOf(name) === modelKey)
    if (names.length === 0) return 0
    return this.#costPass(book, `r.status <> 'IN_FLIGHT' AND r.started_at >= $1 AND coalesce(r.routed_model, r.model) = ANY($2)`, [from, names])
  }

  /**
   * Costs the finished rows matching `where` (parameters from $1) in (started_at, id) order, a
   * batch per statement, writing only the rows whose cost changed; returns how many changed.
   */
  async #costPass(book: PriceBook, where: string, params: unknown[]): Promise<number> {
    let changed = 0
    let after: { startedAt: Date; id: string } | null = null
    while (!this.#closed) {
      const cursor = after === null ? '' : ` AND (r.started_at, r.id) > ($${params.length + 1}, $${params.length + 2})`
      const rows = (await this.#dataSource.query(
        `SELECT ${COSTED_COLUMNS} FROM requests r WHERE ${where}${cursor} ORDER BY r.started_at, r.id LIMIT ${this.#batchSize}`,
        after === null ? params : [...params, after.startedAt, after.id],
      )) as CostedRow[]
      if (rows.length === 0) break
      const updates = rows.flatMap((row) => {
        const cost = costOf(toCostInput(row), book)
        return cost.costUsd === row.cost_usd && cost.priceId === row.price_id && cost.costStatus === row.cost_status ? [] : [[row.id, cost.costUsd, cost.priceId, cost.costStatus]]
      })
      if (updates.length > 0) {
        await this.#dataSource.query(
          `UPDATE requests SET cost_usd = v.cost_usd, price_id = v.price_id, cost_status = v.cost_status
           FROM (VALUES ${updates.map((_, i) => `($${i * 4 + 1}::uuid, $${i * 4 + 2}::numeric, $${i * 4 + 3}::text, $${i * 4 + 4}::text)`).join(', ')}) AS v (id, cost_usd, price_id, cost_status)
           WHERE requests.id = v.id AND requests.status <> 'IN_FLIGHT'`,
          updates.flat(),
        )
        changed += updates.length
      }
      const last = rows.at(-1)!
      after = { startedAt: last.started_at, id: last.id }
      await nextTurn()
    }
    return changed
  }
}

interface OverrideRow {
  id: string
  model: string
  effective_from: Date
  min_input_tokens: string
  input_usd_per_mtok: string
  output_usd_per_mtok: string
  cache_write_5m_usd_per_mtok: string
  cache_write_1h_usd_per_mtok: string
  cache_read_usd_per_mtok: string
  batch_multiplier: string
  geo_multipliers: Record<string, string>
  web_search_usd_per_thousand: string
  note: string | null
}

function toPriceRow(row: OverrideRow): PriceRow {
  return {
    id: row.id,
    model: row.model,
    effectiveFrom: row.effective_from,
    minInputTokens: Number(row.min_input_tokens),
    inputUsdPerMTok: row.input_usd_per_mtok,
    outputUsdPerMTok: row.output_usd_per_mtok,
    cacheWrite5mUsdPerMTok: row.cache_write_5m_usd_per_mtok,
    cacheWrite1hUsdPerMTok: row.cache_write_1h_usd_per_mtok,
    cacheReadUsdPerMTok: row.cache_read_usd_per_mtok,
    batchMultiplier: row.batch_multiplier,
    geoMultipliers: row.geo_multipliers,
    webSearchUsdPerThousand: row.web_search_usd_per_thousand,
    source: 'OVERRIDE',
    note: row.note,
  }
}

interface CostedRow {
  id: string
  path: string
  model: string | null
  routed_model: string | null
  started_at: Date
  input_tokens: string | null
  output_tokens: string | null
  cache_creation_input_tokens: string | null
  cache_creation_5m_input_tokens: string | null
  cache_creation_1h_input_tokens: string | null
  cache_read_input_tokens: string | null
  thinking_tokens: string | null
  web_search_requests: number | null
  web_fetch_requests: number | null
  service_tier: string | null
  inference_geo: string | null
  cost_usd: string | null
  price_id: string | null
  cost_status: string | null
}

const count = (value: string | null) => (value === null ? null : Number(value))

function toCostInput(row: CostedRow): CostInput {
  const usage: UsageRecord = {
    inputTokens: count(row.input_tokens),
    outputTokens: count(row.output_tokens),
    cacheCreationInputTokens: count(row.cache_creation_input_tokens),
    cacheCreation5mInputTokens: count(row.cache_creation_5m_input_tokens),
    cacheCreation1hInputTokens: count(row.cache_creation_1h_input_tokens),
    cacheReadInputTokens: count(row.cache_read_input_tokens),
    thinkingTokens: count(row.thinking_tokens),
    webSearchRequests: row.web_search_requests,
    webFetchRequests: row.web_fetch_requests,
    serviceTier: row.service_tier,
    inferenceGeo: row.inference_geo,
  }
  const reported = Object.values(usage).some((value) => value !== null)
  return { path: row.path, model: row.model, routedModel: row.routed_model, startedAt: row.started_at, usage: reported ? usage : null }
}

/** Stores one override, replacing the one of the same model, date and tier; returns it as stored. */
async function insertOverride(manager: EntityManager, row: Omit<PriceRow, 'id'>): Promise<OverrideRow> {
  const [stored] = (await manager.query(
    `INSERT INTO ${OVERRIDES} (model, effective_from, min_input_tokens, input_usd_per_mtok, output_usd_per_mtok, cache_write_5m_usd_per_mtok,
       cache_write_1h_usd_per_mtok, cache_read_usd_per_mtok, batch_multiplier, geo_multipliers, web_search_usd_per_thousand, note)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     ON CONFLICT (model, effective_from, min_input_tokens) DO UPDATE SET input_usd_per_mtok = EXCLUDED.input_usd_per_mtok,
       output_usd_per_mtok = EXCLUDED.output_usd_per_mtok, cache_write_5m_usd_per_mtok = EXCLUDED.cache_write_5m_usd_per_mtok,
       cache_write_1h_usd_per_mtok = EXCLUDED.cache_write_1h_usd_per_mtok, cache_read_usd_per_mtok = EXCLUDED.cache_read_usd_per_mtok,
       batch_multiplier = EXCLUDED.batch_multiplier, geo_multipliers = EXCLUDED.geo_multipliers,
       web_search_usd_per_thousand = EXCLUDED.web_search_usd_per_thousand, note = EXCLUDED.note, updated_at = now()
     RETURNING ${OVERRIDE_COLUMNS}`,
    [row.model, row.effectiveFrom, row.minInputTokens, row.inputUsdPerMTok, row.outputUsdPerMTok, row.cacheWrite5mUsdPerMTok, row.cacheWrite1hUsdPerMTok,
      row.cacheReadUsdPerMTok, row.batchMultiplier, JSON.stringify(row.geoMultipliers), row.webSearchUsdPerThousand, row.note],
  )) as OverrideRow[]
  return stored!
}
