import { UserInputError } from '../graphql/errors'
import { FACTOR_SCALE, PRICE_SCALE } from './cost'
import { formatScaled, toScaled } from './decimal'
import type { PriceRow } from './price-row'

/** What setPrice is given; amounts as numbers (GraphQL Floats), optional ones derived from input. */
export interface PriceInputValues {
  model: string
  effectiveFrom: Date
  minInputTokens?: number | null
  inputUsdPerMTok: number
  outputUsdPerMTok: number
  cacheWrite5mUsdPerMTok?: number | null
  cacheWrite1hUsdPerMTok?: number | null
  cacheReadUsdPerMTok?: number | null
  batchMultiplier?: number | null
  geoMultipliers?: ReadonlyArray<{ geo: string; multiplier: number }> | null
  webSearchUsdPerThousand?: number | null
  note?: string | null
}

const MAX_USD_PER_MTOK = 1_000_000
const MAX_MULTIPLIER = 100

/**
 * The override row `values` describe, its amounts exact decimal strings, `model` already its
 * price key. Unset cache prices follow Anthropic's rule from the input price (5-minute writes
 * 1.25x, 1-hour writes 2x, reads 0.1x), the batch factor is 0.5 and web search $10 per thousand.
 * Throws an INVALID_PRICE UserInputError naming the field, what was expected and what arrived.
 */
export function toOverrideRow(values: PriceInputValues, modelKey: string): Omit<PriceRow, 'id'> {
  if (modelKey === '' || modelKey.length > 200) invalid('model', `a model id of 1 to 200 characters, got ${JSON.stringify(values.model)}`)
  const fromMs = values.effectiveFrom.getTime()
  if (!(fromMs >= Date.UTC(1970, 0, 1) && fromMs <= Date.UTC(9999, 0, 1))) invalid('effectiveFrom', `a date-time from 1970 to 9999, got ${String(values.effectiveFrom)}`)
  const minInputTokens = values.minInputTokens ?? 0
  if (!Number.isSafeInteger(minInputTokens) || minInputTokens < 0) invalid('minInputTokens', `a whole number of tokens, 0 or more, got ${minInputTokens}`)
  const input = amount('inputUsdPerMTok', values.inputUsdPerMTok)
  const derived = (field: string, given: number | null | undefined, factorTimes100: bigint) =>
    given === null || given === undefined ? derivedAmount(field, input, factorTimes100) : amount(field, given)
  const geoMultipliers: Record<string, string> = {}
  for (const { geo, multiplier } of values.geoMultipliers ?? []) {
    if (!/^[a-z0-9_-]{1,32}$/i.test(geo)) invalid('geoMultipliers.geo', `a region name such as "us", got ${JSON.stringify(geo)}`)
    geoMultipliers[geo] = factor(`geoMultipliers.${geo}`, multiplier)
  }
  return {
    model: modelKey,
    effectiveFrom: values.effectiveFrom,
    minInputTokens,
    inputUsdPerMTok: input,
    outputUsdPerMTok: amount('outputUsdPerMTok', values.outputUsdPerMTok),
    cacheWrite5mUsdPerMTok: derived('cacheWrite5mUsdPerMTok', values.cacheWrite5mUsdPerMTok, 125n),
    cacheWrite1hUsdPerMTok: derived('cacheWrite1hUsdPerMTok', values.cacheWrite1hUsdPerMTok, 200n),
    cacheReadUsdPerMTok: derived('cacheReadUsdPerMTok', values.cacheReadUsdPerMTok, 10n),
    batchMultiplier: factor('batchMultiplier', values.batchMultiplier ?? 0.5),
    geoMultipliers,
    webSearchUsdPerThousand: amount('webSearchUsdPerThousand', values.webSearchUsdPerThousand ?? 10),
    source: 'OVERRIDE',
    note: values.note?.slice(0, 500) ?? null,
  }
}

function amount(field: string, value: number): string {
  if (!Number.isFinite(value) || value < 0 || value > MAX_USD_PER_MTOK) invalid(field, `an amount in USD from 0 to ${MAX_USD_PER_MTOK}, got ${value}`)
  return exact(field, String(value), PRICE_SCALE)
}

function derivedAmount(field: string, input: string, factorTimes100: bigint): string {
  const text = formatScaled(toScaled(input, PRICE_SCALE) * factorTimes100, PRICE_SCALE + 2)
  return exact(field, text, PRICE_SCALE)
}

function factor(field: string, value: number): string {
  if (!Number.isFinite(value) || value <= 0 || value > MAX_MULTIPLIER) invalid(field, `a factor above 0 and at most ${MAX_MULTIPLIER}, got ${value}`)
  return exact(field, String(value), FACTOR_SCALE)
}

/** `text` as stored, or an error when it has more decimal places than pricing keeps. */
function exact(field: string, text: string, scale: number): string {
  try {
    return formatScaled(toScaled(text, scale), scale)
  } catch {
    return invalid(field, `at most ${scale} decimal places, got ${text}`)
  }
}

function invalid(field: string, expected: string): never {
  throw new UserInputError('INVALID_PRICE', `\`${field}\` must be ${expected}.`, field)
}

/** A price override as the settings document holds it: setPrice's input, amounts as numbers, the date in ISO-8601. */
export interface PriceInputDocument {
  model: string
  effectiveFrom: string
  minInputTokens: number
  inputUsdPerMTok: number
  outputUsdPerMTok: number
  cacheWrite5mUsdPerMTok: number
  cacheWrite1hUsdPerMTok: number
  cacheReadUsdPerMTok: number
  batchMultiplier: number
  geoMultipliers: Array<{ geo: string; multiplier: number }>
  webSearchUsdPerThousand: number
  note: string | null
}

export function toPriceInputDocument(row: PriceRow): PriceInputDocument {
  return {
    model: row.model,
    effectiveFrom: row.effectiveFrom.toISOString(),
    minInputTokens: row.minInputTokens,
    inputUsdPerMTok: Number(row.inputUsdPerMTok),
    outputUsdPerMTok: Number(row.outputUsdPerMTok),
    cacheWrite5mUsdPerMTok: Number(row.cacheWrite5mUsdPerMTok),
    cacheWrite1hUsdPerMTok: Number(row.cacheWrite1hUsdPerMTok),
    cacheReadUsdPerMTok: Number(row.cacheReadUsdPerMTok),
    batchMultiplier: Number(row.batchMultiplier),
    geoMultipliers: Object.entries(row.geoMultipliers).map(([geo, multiplier]) => ({ geo, multiplier: Number(multiplier) })),
    webSearchUsdPerThousand: Number(row.webSearchUsdPerThousand),
    note: row.note,
  }
}

/**
 * The `prices` of a settings document, checked as setPrice checks its input; a
 * SETTINGS_DOCUMENT_INVALID UserInputError names the entry and field at fault.
 */
export function parsePriceDocuments(value: unknown, path: string): PriceInputValues[] {
  if (!Array.isArray(value)) refuse(path, `must be a list of prices, got ${value === null ? 'null' : typeof value}`)
  return value.map((entry: unknown, index) => {
    const at = `${path}[${index}]`
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) refuse(at, `must be a price object, got ${JSON.stringify(entry)}`)
    const fields = entry as Record<string, unknown>
    const number = (name: string): number => (typeof fields[name] === 'number' ? (fields[name] as number) : refuse(`${at}.${name}`, `must be a number, got ${JSON.stringify(fields[name])}`))
    const optional = (name: string): number | null => (fields[name] === undefined || fields[name] === null ? null : number(name))
    if (typeof fields.model !== 'string') refuse(`${at}.model`, `must be a model id, got ${JSON.stringify(fields.model)}`)
    const effectiveFrom = typeof fields.effectiveFrom === 'string' ? new Date(fields.effectiveFrom) : null
    if (effectiveFrom === null || Number.isNaN(effectiveFrom.getTime())) refuse(`${at}.effectiveFrom`, `must be an ISO-8601 date-time, got ${JSON.stringify(fields.effectiveFrom)}`)
    const geos = fields.geoMultipliers ?? []
    if (!Array.isArray(geos) || !geos.every((g) => typeof g === 'object' && g !== null && typeof g.geo === 'string' && typeof g.multiplier === 'number')) {
      refuse(`${at}.geoMultipliers`, `must be a list of { geo, multiplier }, got ${JSON.stringify(geos)}`)
    }
    if (fields.note !== undefined && fields.note !== null && typeof fields.note !== 'string') refuse(`${at}.note`, `must be text, got ${JSON.stringify(fields.note)}`)
    const values: PriceInputValues = {
      model: fields.model as string,
      effectiveFrom,
      minInputTokens: optional('minInputTokens'),
      inputUsdPerMTok: number('inputUsdPerMTok'),
      outputUsdPerMTok: number('outputUsdPerMTok'),
      cacheWrite5mUsdPerMTok: optional('cacheWrite5mUsdPerMTok'),
      cacheWrite1hUsdPerMTok: optional('cacheWrite1hUsdPerMTok'),
      cacheReadUsdPerMTok: optional('cacheReadUsdPerMTok'),
      batchMultiplier: optional('batchMultiplier'),
      geoMultipliers: geos as Array<{ geo: string; multiplier: number }>,
      webSearchUsdPerThousand: optional('webSearchUsdPerThousand'),
      note: (fields.note as string | null | undefined) ?? null,
    }
    try {
      toOverrideRow(values, values.model)
    } catch (err) {
      if (err instanceof UserInputError) refuse(at, err.message)
      throw err
    }
    return values
  })
}

function refuse(path: string, problem: string): never {
  throw new UserInputError('SETTINGS_DOCUMENT_INVALID', `${path} ${problem}`, path)
}
