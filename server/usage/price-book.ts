import { modelKeyOf } from './model-key'
import { tierKey, type PriceRow } from './price-row'

interface Version {
  fromMs: number
  /** Highest threshold first. */
  tiers: PriceRow[]
}

/**
 * The prices in force: shipped rows with the overrides over them (an override replaces the shipped
 * row of the same model, date and tier, and otherwise adds a version or a tier). Immutable: a
 * change of overrides builds a new book, so a batch is priced with one book throughout.
 */
export class PriceBook {
  readonly #rows: PriceRow[]
  readonly #aliases: ReadonlyMap<string, string>
  /** Model key → its versions, latest first. */
  readonly #versions = new Map<string, Version[]>()

  constructor(shipped: readonly PriceRow[], overrides: readonly PriceRow[], aliases: ReadonlyMap<string, string> = new Map()) {
    this.#aliases = aliases
    const byTier = new Map<string, PriceRow>()
    for (const row of [...shipped, ...overrides]) byTier.set(tierKey(row), { ...row, model: this.keyOf(row.model) })
    this.#rows = [...byTier.values()].sort((a, b) => a.model.localeCompare(b.model) || a.effectiveFrom.getTime() - b.effectiveFrom.getTime() || a.minInputTokens - b.minInputTokens)
    for (const row of this.#rows) {
      const versions = this.#versions.get(row.model) ?? []
      let version = versions.find((v) => v.fromMs === row.effectiveFrom.getTime())
      if (version === undefined) versions.push((version = { fromMs: row.effectiveFrom.getTime(), tiers: [] }))
      version.tiers.push(row)
      version.tiers.sort((a, b) => b.minInputTokens - a.minInputTokens)
      versions.sort((a, b) => b.fromMs - a.fromMs)
      this.#versions.set(row.model, versions)
    }
  }

  /** Every row in force, by model, date and tier. */
  get rows(): readonly PriceRow[] {
    return this.#rows
  }

  /** The price key of `model`: modelKeyOf, then the alias it may be. */
  keyOf(model: string): string {
    const key = modelKeyOf(model)
    return this.#aliases.get(key) ?? key
  }

  /**
   * The row that prices a request for `model` started at `at` with `totalInputTokens` of input:
   * the latest version in force then, at its highest tier the request reaches (an older version
   * when the latest has no tier for it). Null when the book has no price for the model then.
   */
  lookup(model: string, at: Date, totalInputTokens: number): PriceRow | null {
    const versions = this.#versions.get(this.keyOf(model))
    if (versions === undefined) return null
    for (const version of versions) {
      if (version.fromMs > at.getTime()) continue
      const tier = version.tiers.find((row) => totalInputTokens >= row.minInputTokens)
      if (tier !== undefined) return tier
    }
    return null
  }
}
