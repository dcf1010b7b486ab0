import type { PriceRow } from './price-row'

/**
 * The shipped price book (USD per million tokens), from Anthropic's pricing pages as of
 * 2026-11. Overrides set through the API take precedence and survive upgrades.
 *
 * Why not a price package: @pydantic/genai-prices 0.1.8 (2026-09-23, the latest) lacks Sonnet 5.5
 * and Haiku 5.5, and matches models by prefix, so it prices `claude-sonnet-5-5` as Sonnet 5 (cache
 * reads at 0.20 instead of 0.10 since 2026-10-07), a silently wrong cost. Its effective dates for
 * the 4.6 models' long-context tier are taken over below.
 *
 * Rules applied to every model (https://platform.claude.com/docs/en/about-claude/pricing):
 * 5-minute cache writes cost 1.25x input, 1-hour writes 2x, reads 0.1x (except where listed);
 * the Batch API halves every token price; web search is $10 per 1,000 searches; US-only inference
 * (usage.inference_geo "us") costs 1.1x on every token price, for the models that offer it (4.6
 * and later).
 */

const PRICING = 'https://platform.claude.com/docs/en/about-claude/pricing'
const ALWAYS = '1970-01-01'

interface Version {
  /** Date the prices took effect (UTC midnight); ALWAYS for prices unchanged since release. */
  from: string
  /** Tier threshold: the request's total input tokens at least this. @default 0 */
  minInputTokens?: number
  /** input, 5m write, 1h write, cache read, output */
  prices: [string, string, string, string, string]
  source: string
}

interface ShippedModel {
  model: string
  /** Other keys (after modelKeyOf) the API has used for the same model. */
  aliases?: string[]
  /** Offers US-only inference at 1.1x. */
  geo?: boolean
  versions: Version[]
}

const LONG_CONTEXT_SONNET: [string, string, string, string, string] = ['6', '7.5', '12', '0.6', '22.5']

const SHIPPED_MODELS: ShippedModel[] = [
  { model: 'claude-fable-5-1', aliases: ['claude-mythos-5-1'], geo: true, versions: [{ from: ALWAYS, prices: ['10', '12.5', '20', '0.25', '50'], source: PRICING }] },
  { model: 'claude-fable-5', aliases: ['claude-mythos-5'], geo: true, versions: [{ from: ALWAYS, prices: ['10', '12.5', '20', '1', '50'], source: PRICING }] },
  {
    model: 'claude-opus-5-5',
    geo: true,
    versions: [{ from: ALWAYS, prices: ['4', '5', '8', '0.2', '20'], source: 'https://platform.claude.com/docs/about-claude/models/whats-new-opus-5 (cache writes from the standard 1.25x and 2x)' }],
  },
  ...['claude-opus-5', 'claude-opus-4-8', 'claude-opus-4-7'].map((model) => ({ model, geo: true, versions: [{ from: ALWAYS, prices: ['5', '6.25', '10', '0.5', '25'] as Version['prices'], source: PRICING }] })),
  {
    model: 'claude-opus-4-6',
    geo: true,
    versions: [
      { from: ALWAYS, prices: ['5', '6.25', '10', '0.5', '25'], source: PRICING },
      { from: ALWAYS, minInputTokens: 200_001, prices: ['10', '12.5', '20', '1', '37.5'], source: `${PRICING} (long context, over 200k input tokens)` },
      { from: '2026-03-13', prices: ['5', '6.25', '10', '0.5', '25'], source: `${PRICING} (1M context generally available, no long-context premium)` },
    ],
  },
  { model: 'claude-opus-4-5', versions: [{ from: ALWAYS, prices: ['5', '6.25', '10', '0.5', '25'], source: PRICING }] },
  { model: 'claude-opus-4-1', versions: [{ from: ALWAYS, prices: ['15', '18.75', '30', '1.5', '75'], source: PRICING }] },
  { model: 'claude-opus-4', aliases: ['claude-opus-4-0', 'claude-4-opus'], versions: [{ from: ALWAYS, prices: ['15', '18.75', '30', '1.5', '75'], source: PRICING }] },
  {
    model: 'claude-sonnet-5-5',
    geo: true,
    versions: [
      { from: ALWAYS, prices: ['2', '2.5', '4', '0.2', '10'], source: 'https://platform.claude.com/docs/zh-CN/models/sonnet-5-5/overview' },
      { from: '2026-10-07', prices: ['2', '2.5', '4', '0.1', '10'], source: 'https://github.com/kurofune/claudit/releases/tag/v1.9.2 (cache reads cut to 0.10)' },
    ],
  },
  { model: 'claude-sonnet-5', geo: true, versions: [{ from: ALWAYS, prices: ['2', '2.5', '4', '0.2', '10'], source: 'https://platform.claude.com/docs/zh-CN/models/sonnet-5/overview' }] },
  {
    model: 'claude-sonnet-4-6',
    geo: true,
    versions: [
      { from: ALWAYS, prices: ['3', '3.75', '6', '0.3', '15'], source: PRICING },
      { from: ALWAYS, minInputTokens: 200_001, prices: LONG_CONTEXT_SONNET, source: `${PRICING} (long context, over 200k input tokens)` },
      { from: '2026-03-13', prices: ['3', '3.75', '6', '0.3', '15'], source: `${PRICING} (1M context generally available, no long-context premium)` },
    ],
  },
  ...['claude-sonnet-4-5', 'claude-sonnet-4'].map((model) => ({
    model,
    aliases: model === 'claude-sonnet-4' ? ['claude-sonnet-4-0', 'claude-4-sonnet'] : undefined,
    versions: [
      { from: ALWAYS, prices: ['3', '3.75', '6', '0.3', '15'] as Version['prices'], source: PRICING },
      { from: ALWAYS, minInputTokens: 200_001, prices: LONG_CONTEXT_SONNET, source: `${PRICING} (long context, over 200k input tokens)` },
    ],
  })),
  { model: 'claude-3-7-sonnet', versions: [{ from: ALWAYS, prices: ['3', '3.75', '6', '0.3', '15'], source: PRICING }] },
  { model: 'claude-3-5-sonnet', versions: [{ from: ALWAYS, prices: ['3', '3.75', '6', '0.3', '15'], source: PRICING }] },
  {
    model: 'claude-haiku-5-5',
    geo: true,
    versions: [
      { from: ALWAYS, prices: ['0.1', '0.125', '0.2', '0.01', '0.5'], source: 'https://github.com/kurofune/claudit/releases/tag/v1.9.2 (prompts up to 100k tokens)' },
      { from: ALWAYS, minInputTokens: 100_001, prices: ['0.5', '0.625', '1', '0.05', '2.5'], source: 'https://github.com/kurofune/claudit/releases/tag/v1.9.2 (prompts over 100k tokens, whole request)' },
    ],
  },
  { model: 'claude-haiku-4-5', versions: [{ from: ALWAYS, prices: ['1', '1.25', '2', '0.1', '5'], source: PRICING }] },
  { model: 'claude-3-5-haiku', versions: [{ from: ALWAYS, prices: ['0.8', '1', '1.6', '0.08', '4'], source: PRICING }] },
  { model: 'claude-3-haiku', versions: [{ from: ALWAYS, prices: ['0.25', '0.3', '0.5', '0.03', '1.25'], source: PRICING }] },
  { model: 'claude-3-opus', versions: [{ from: ALWAYS, prices: ['15', '18.75', '30', '1.5', '75'], source: PRICING }] },
]

/** The shipped rows, one per model, version and tier. */
export const SHIPPED_PRICES: readonly PriceRow[] = SHIPPED_MODELS.flatMap<PriceRow>(({ model, geo, versions }) =>
  versions.map(({ from, minInputTokens = 0, prices: [input, write5m, write1h, read, output], source }) => ({
    id: `shipped:${model}:${from}:${minInputTokens}`,
    model,
    effectiveFrom: new Date(`${from}T00:00:00Z`),
    minInputTokens,
    inputUsdPerMTok: input,
    outputUsdPerMTok: output,
    cacheWrite5mUsdPerMTok: write5m,
    cacheWrite1hUsdPerMTok: write1h,
    cacheReadUsdPerMTok: read,
    batchMultiplier: '0.5',
    geoMultipliers: (geo ? { us: '1.1' } : {}) as Record<string, string>,
    webSearchUsdPerThousand: '10',
    source: 'SHIPPED' as const,
    note: source,
  })),
)

/** Alias key → the model key its prices are shipped under. */
export const SHIPPED_ALIASES: ReadonlyMap<string, string> = new Map(SHIPPED_MODELS.flatMap(({ model, aliases = [] }) => aliases.map((alias) => [alias, model] as const)))
