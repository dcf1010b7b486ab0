import type { DataSource } from 'typeorm'
import { readContentTexts } from '../store/contents/content-texts'
import { storedPartRangesOf } from '../store/contents/body-layout'
import { partIdsSql } from '../store/contents/part-list'
import { CONTENT_LISTS_TABLE } from '../store/tables/contents.table'
import { CONVERSATION_MESSAGES_TABLE, CONVERSATION_REQUESTS_TABLE, CONVERSATION_THREADS_TABLE } from '../store/tables/conversations.table'
import { REQUESTS_TABLE } from '../store/tables/requests.table'
import { cacheMissCostOf, COST_SCALE } from '../usage/cost'
import { formatScaled, toScaled } from '../usage/decimal'
import type { PriceBook } from '../usage/price-book'
import { CACHE_MISS_REASONS, cacheMissesOf, lastCacheTtlSeconds, previousTurns, turnsNeedingTtl, type CacheMissFinding, type CacheMissReason, type CacheTurn } from './cache-misses'
import { TURN_USAGE_COLUMNS, usageOfRow } from './turn-usage'
import { hashKey } from './message-key'

/** A finding with its price. */
export interface PricedCacheMiss extends CacheMissFinding {
  missCostUsd: string | null
  missCostUsdExact: string | null
}

export interface CacheMissReasonSum {
  reason: CacheMissReason
  requests: number
  missedTokens: number
  missCostUsd: string
  missCostUsdExact: string
}

export interface CacheMissSums {
  requests: number
  missedTokens: number
  missCostUsd: string
  missCostUsdExact: string
  unpricedRequests: number
  byReason: CacheMissReasonSum[]
}

/** Where the price rows come from (PricesService). */
export interface PriceBookSource {
  book(): Promise<PriceBook>
}

/** Messages of a turn read for the TTL of its last breakpoint: Claude Code marks the last one or two. */
const LAST_MESSAGES_READ_FOR_TTL = 4

interface TurnRow extends Record<string, unknown> {
  request_id: string
  thread_id: string
  kind: string
  message_count: number
  started_at: Date
  completed_at: Date | null
  model: string | null
  price_id: string | null
  skeleton: string | null
  /** Its list's ids and its own, comma-separated: a long uuid[] costs the driver far more to parse than one string to split. */
  content_ids: string | null
}

interface LoadedTurn extends CacheTurn {
  priceId: string | null
  /**
   * The parts whose breakpoints can decide its TTL, in body order of the prefix (system, then the
   * last messages): each one's content id and the `cache_control` members its row keeps apart.
   */
  ttlParts: Array<{ id: string; cacheControl: string }>
  /** The body's top-level `cache_control` (automatic caching), when it has one. */
  topLevelCacheControl: string | null
}

/**
 * Cache misses of a conversation, computed when read: its turns (one query, bodies as skeletons
 * only), its threads' message keys (one query) and, for the turns before a read shortfall, the
 * system prompt and last messages that hold their last cache breakpoint. Tools and system prompts are compared
 * by the content ids of their parts, messages by the keys grouping stored.
 */
export class CacheForensicsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly prices: PriceBookSource,
  ) {}

  /** Every miss of the conversation, by request id. */
  async misses(conversationId: string): Promise<Map<string, PricedCacheMiss>> {
    const turns = await this.#turns(conversationId)
    const needingTtl = new Set(turnsNeedingTtl(turns, previousTurns(turns)))
    const ttls = await this.#ttls(turns.filter((turn) => needingTtl.has(turn.requestId)))
    const findings = cacheMissesOf(turns, ttls)
    const rows = new Map((await this.prices.book()).rows.map((row) => [row.id, row]))
    const byId = new Map(turns.map((turn) => [turn.requestId, turn]))
    const priced = new Map<string, PricedCacheMiss>()
    for (const finding of findings.values()) {
      const turn = byId.get(finding.requestId)!
      const row = turn.priceId === null ? undefined : rows.get(turn.priceId)
      const cost = row === undefined || turn.usage === null ? null : cacheMissCostOf(row, finding.missed5mTokens, finding.missed1hTokens, turn.usage)
      priced.set(finding.requestId, { ...finding, missCostUsd: cost, missCostUsdExact: cost })
    }
    return priced
  }

  async #turns(conversationId: string): Promise<LoadedTurn[]> {
    const rows = (await this.dataSource.query(
      `SELECT cr.request_id, cr.thread_id, t.kind, cr.message_count, r.started_at, r.completed_at, coalesce(r.routed_model, r.model) AS model, r.price_id, ${TURN_USAGE_COLUMNS},
         CASE WHEN t.kind <> 'SIDE' THEN r.request_body END AS skeleton, CASE WHEN t.kind <> 'SIDE' AND r.request_body_content_ids IS NOT NULL THEN array_to_string(${partIdsSql('r', 'l')}, ',') END AS content_ids
       FROM ${CONVERSATION_REQUESTS_TABLE} cr JOIN ${REQUESTS_TABLE} r ON r.id = cr.request_id JOIN ${CONVERSATION_THREADS_TABLE} t ON t.id = cr.thread_id
         LEFT JOIN ${CONTENT_LISTS_TABLE} l ON l.id = r.request_body_content_list_id
       WHERE cr.conversation_id = $1 ORDER BY cr.started_at, cr.request_id`,
      [conversationId],
    )) as TurnRow[]
    const threadIds = [...new Set(rows.filter((row) => row.kind !== 'SIDE').map((row) => row.thread_id))]
    const keyRows =
      threadIds.length === 0
        ? []
        : ((await this.dataSource.query(`SELECT thread_id, message_key FROM ${CONVERSATION_MESSAGES_TABLE} WHERE thread_id = ANY($1::uuid[]) ORDER BY thread_id, position`, [threadIds])) as Array<{
            thread_id: string
            message_key: string
          }>)
    const keysOf = new Map<string, string[]>()
    for (const row of keyRows) {
      const keys = keysOf.get(row.thread_id) ?? []
      keys.push(row.message_key)
      keysOf.set(row.thread_id, keys)
    }
    return rows.map((row) => {
      const ids = row.content_ids === null || row.content_ids === '' ? [] : row.content_ids.split(',')
      const stored = row.skeleton === null || row.content_ids === null ? null : storedPartRangesOf(row.skeleton, ids.length)
      const member = (key: string) => stored?.members.findLast((m) => m.key === key)
      const partsOf = (key: string) => {
        const range = stored?.ranges.get(key)
        return range === undefined ? [] : ids.slice(range.start, range.end).map((id, i) => ({ id, cacheControl: stored!.cacheControls[range.start + i]! }))
      }
      const keyOf = (key: string): string | null => {
        const value = member(key)
        if (value === undefined || stored === null) return null
        // An array's parts by their ids; a string (a plain system prompt) by its bytes.
        return value.elements !== null ? partsOf(key).map((part) => part.id).join(',') : hashKey(stored.text.subarray(value.valueStart, value.valueEnd).toString('utf8'))
      }
      const topLevel = member('cache_control')
      return {
        requestId: row.request_id,
        threadId: row.thread_id,
        isSide: row.kind === 'SIDE',
        startedAt: row.started_at,
        completedAt: row.completed_at,
        model: row.model,
        toolsKey: keyOf('tools'),
        systemKey: keyOf('system'),
        threadMessageKeys: keysOf.get(row.thread_id) ?? [],
        messageCount: row.message_count,
        usage: usageOfRow(row),
        priceId: row.price_id,
        ttlParts: [...partsOf('system'), ...partsOf('messages').slice(-LAST_MESSAGES_READ_FOR_TTL)],
        topLevelCacheControl: topLevel === undefined || stored === null ? null : `"cache_control":${stored.text.subarray(topLevel.valueStart, topLevel.valueEnd).toString('utf8')}`,
      }
    })
  }

  /** The TTL of each turn's last breakpoint: among its system prompt and last messages, then the top-level `cache_control`. */
  async #ttls(turns: readonly LoadedTurn[]): Promise<Map<string, number>> {
    const texts = await readContentTexts(this.dataSource, turns.flatMap((turn) => turn.ttlParts.map((part) => part.id)))
    const ttls = new Map<string, number>()
    for (const turn of turns) {
      // A part holds its marks when stored before they were kept apart, else its row does: either way one of the two is empty.
      const read = turn.ttlParts.map((part) => (texts.get(part.id) ?? '') + part.cacheControl)
      const ttl = lastCacheTtlSeconds(turn.topLevelCacheControl === null ? read : [...read, turn.topLevelCacheControl])
      if (ttl !== null) ttls.set(turn.requestId, ttl)
    }
    return ttls
  }
}

/** A conversation's misses summed, exactly, in total and by reason. */
export function sumCacheMisses(misses: Iterable<PricedCacheMiss>): CacheMissSums {
  const total = { requests: 0, missedTokens: 0, cost: 0n, unpricedRequests: 0 }
  const byReason = new Map<CacheMissReason, { requests: number; missedTokens: number; cost: bigint }>()
  for (const miss of misses) {
    const cost = miss.missCostUsdExact === null ? 0n : toScaled(miss.missCostUsdExact, COST_SCALE)
    const sum = byReason.get(miss.reason) ?? { requests: 0, missedTokens: 0, cost: 0n }
    for (const into of [total, sum]) {
      into.requests++
      into.missedTokens += miss.missedTokens
      into.cost += cost
    }
    if (miss.missCostUsdExact === null && miss.missedTokens > 0) total.unpricedRequests++
    byReason.set(miss.reason, sum)
  }
  const exact = (cost: bigint) => formatScaled(cost, COST_SCALE)
  return {
    requests: total.requests,
    missedTokens: total.missedTokens,
    missCostUsd: exact(total.cost),
    missCostUsdExact: exact(total.cost),
    unpricedRequests: total.unpricedRequests,
    byReason: [...byReason.entries()]
      .sort(([a, x], [b, y]) => (y.cost > x.cost ? 1 : y.cost < x.cost ? -1 : CACHE_MISS_REASONS.indexOf(a) - CACHE_MISS_REASONS.indexOf(b)))
      .map(([reason, sum]) => ({ reason, requests: sum.requests, missedTokens: sum.missedTokens, missCostUsd: exact(sum.cost), missCostUsdExact: exact(sum.cost) })),
  }
}
