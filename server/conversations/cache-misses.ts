import type { UsageRecord } from '../records/request-record'

/**
 * Why a turn wrote to the prompt cache what its thread's previous turn had cached, or read less
 * than that: pure, the service reads the turns and prices what this finds.
 *
 * The prompt cache is a prefix cache in the order tools, system, messages, keyed by model; an
 * entry lives for its TTL (5 minutes by default, 1 hour when `cache_control` says `"ttl":"1h"`)
 * and every read refreshes it. So a turn can read at most what the previous turn of its thread
 * cached (that turn's reads plus writes), and only when the model, tools, system prompt and
 * earlier messages are the same and the cache was used within the TTL. What it wrote instead of
 * reading is the miss; new messages written past that prefix are the cache working as meant.
 */

/** Why the cached prefix was not read, in the order one explains the others away. */
export const CACHE_MISS_REASONS = ['FIRST_TURN', 'MODEL_CHANGED', 'TTL_EXPIRED', 'TOOLS_CHANGED', 'SYSTEM_CHANGED', 'MESSAGES_EDITED', 'UNEXPLAINED'] as const
export type CacheMissReason = (typeof CACHE_MISS_REASONS)[number]

/** The TTL of a cache entry whose `cache_control` names none. */
export const DEFAULT_CACHE_TTL_SECONDS = 300
const TTL_SECONDS: Record<string, number> = { '5m': 300, '1h': 3600 }

/** One request of a conversation as cache forensics reads it. */
export interface CacheTurn {
  requestId: string
  threadId: string
  /** SIDE threads (titles, quota checks, count_tokens) keep no history to compare: they are left out. */
  isSide: boolean
  startedAt: Date
  completedAt: Date | null
  /** The model that served it (the routed one when routing changed it): the cache is per model. */
  model: string | null
  /** Identity of its tools and of its system prompt (null: none, or not readable). */
  toolsKey: string | null
  systemKey: string | null
  /** Message keys of its thread (see messageKeyOf); the turn sent the first `messageCount`. */
  threadMessageKeys: readonly string[]
  messageCount: number
  usage: UsageRecord | null
}

/** What a turn missed, and why. */
export interface CacheMissFinding {
  requestId: string
  reason: CacheMissReason
  /** Every cause that holds, `reason` first. */
  causes: CacheMissReason[]
  previousRequestId: string | null
  /** Seconds from the previous turn's end to this turn's start. */
  idleSeconds: number | null
  /** Seconds from the previous turn's start (when it last read or wrote the cache) to this turn's start. */
  cacheAgeSeconds: number | null
  /** TTL of the previous turn's last cache breakpoint. */
  ttlSeconds: number | null
  /** What the previous turn cached: its cache reads plus writes. */
  expectedReadTokens: number
  cacheReadTokens: number
  cacheWriteTokens: number
  /** Cache writes that would have been reads: min(writes, expected − read). */
  missedTokens: number
  /** The missed tokens written with a 1-hour and with a 5-minute TTL. */
  missed1hTokens: number
  missed5mTokens: number
}

/**
 * The turn before each turn, by request id: the latest turn of the same thread that started
 * before it and reported usage; for a thread's first turn, the latest such turn of another thread
 * of the conversation that begins with the same message (the thread an edited history forked
 * from). Null for a first turn. Side calls have no entry.
 */
export function previousTurns(turns: readonly CacheTurn[]): Map<string, CacheTurn | null> {
  const ordered = turns.filter((turn) => !turn.isSide).sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime())
  const previous = new Map<string, CacheTurn | null>()
  const lastOfThread = new Map<string, CacheTurn>()
  const lastByFirstMessage = new Map<string, CacheTurn>()
  for (const turn of ordered) {
    const first = turn.messageCount > 0 ? turn.threadMessageKeys[0] : undefined
    previous.set(turn.requestId, lastOfThread.get(turn.threadId) ?? (first === undefined ? undefined : lastByFirstMessage.get(first)) ?? null)
    if (turn.usage === null) continue
    lastOfThread.set(turn.threadId, turn)
    if (first !== undefined) lastByFirstMessage.set(first, turn)
  }
  return previous
}

/**
 * The previous turns whose TTL a finding reports (and that decides TTL_EXPIRED): those followed
 * by a read shortfall. The service reads only their breakpoints.
 */
export function turnsNeedingTtl(turns: readonly CacheTurn[], previous: ReadonlyMap<string, CacheTurn | null> = previousTurns(turns)): string[] {
  const needed = new Set<string>()
  for (const turn of turns) {
    const before = previous.get(turn.requestId)
    if (before && turn.usage !== null && shortfallOf(turn.usage, before.usage) > 0) needed.add(before.requestId)
  }
  return [...needed]
}

/**
 * The misses of a conversation's turns, by request id: a finding for every first turn that wrote
 * to the cache, and for every later turn that read less than its previous turn cached.
 * `ttls` gives the TTL of the turns turnsNeedingTtl named (absent: none of their breakpoints was
 * found, and the default TTL is assumed).
 */
export function cacheMissesOf(turns: readonly CacheTurn[], ttls: ReadonlyMap<string, number>): Map<string, CacheMissFinding> {
  const previous = previousTurns(turns)
  const findings = new Map<string, CacheMissFinding>()
  for (const turn of turns) {
    if (turn.usage === null || !previous.has(turn.requestId)) continue
    const before = previous.get(turn.requestId)!
    const read = turn.usage.cacheReadInputTokens ?? 0
    const written = turn.usage.cacheCreationInputTokens ?? 0
    if (before === null) {
      if (written > 0) findings.set(turn.requestId, { ...blank(turn, read, written), reason: 'FIRST_TURN', causes: ['FIRST_TURN'] })
      continue
    }
    const expected = cachedPrefixOf(before.usage)
    const shortfall = shortfallOf(turn.usage, before.usage)
    if (shortfall === 0) continue
    const ttlSeconds = ttls.get(before.requestId) ?? DEFAULT_CACHE_TTL_SECONDS
    const cacheAgeSeconds = secondsBetween(before.startedAt, turn.startedAt)
    const causes = CACHE_MISS_REASONS.filter((reason) => holds(reason, { turn, before, ttlSeconds, cacheAgeSeconds }))
    const missed = Math.min(written, shortfall)
    // A prefix's 1-hour entries come before its 5-minute ones (the API requires it), and the
    // missed tokens are the first ones written.
    const missed1h = Math.min(missed, turn.usage.cacheCreation1hInputTokens ?? 0)
    findings.set(turn.requestId, {
      requestId: turn.requestId,
      reason: causes[0] ?? 'UNEXPLAINED',
      causes: causes.length > 0 ? causes : ['UNEXPLAINED'],
      previousRequestId: before.requestId,
      idleSeconds: secondsBetween(before.completedAt ?? before.startedAt, turn.startedAt),
      cacheAgeSeconds,
      ttlSeconds,
      expectedReadTokens: expected,
      cacheReadTokens: read,
      cacheWriteTokens: written,
      missedTokens: missed,
      missed1hTokens: missed1h,
      missed5mTokens: missed - missed1h,
    })
  }
  return findings
}

interface Comparison {
  turn: CacheTurn
  before: CacheTurn
  ttlSeconds: number
  cacheAgeSeconds: number
}

function holds(reason: CacheMissReason, { turn, before, ttlSeconds, cacheAgeSeconds }: Comparison): boolean {
  switch (reason) {
    case 'MODEL_CHANGED':
      return turn.model !== before.model
    case 'TTL_EXPIRED':
      return cacheAgeSeconds > ttlSeconds
    case 'TOOLS_CHANGED':
      return turn.toolsKey !== before.toolsKey
    case 'SYSTEM_CHANGED':
      return turn.systemKey !== before.systemKey
    case 'MESSAGES_EDITED':
      return !extendsHistory(turn, before)
    case 'FIRST_TURN':
    case 'UNEXPLAINED':
      return false
  }
}

/** Whether the turn sent the previous turn's messages, unchanged, before its own. */
function extendsHistory(turn: CacheTurn, before: CacheTurn): boolean {
  if (turn.messageCount < before.messageCount) return false
  if (turn.threadMessageKeys === before.threadMessageKeys) return true
  for (let i = 0; i < before.messageCount; i++) if (turn.threadMessageKeys[i] !== before.threadMessageKeys[i]) return false
  return true
}

function blank(turn: CacheTurn, read: number, written: number): Omit<CacheMissFinding, 'reason' | 'causes'> {
  return {
    requestId: turn.requestId,
    previousRequestId: null,
    idleSeconds: null,
    cacheAgeSeconds: null,
    ttlSeconds: null,
    expectedReadTokens: 0,
    cacheReadTokens: read,
    cacheWriteTokens: written,
    missedTokens: 0,
    missed1hTokens: 0,
    missed5mTokens: 0,
  }
}

/** What a turn left in the cache for the next: the prefix up to its last breakpoint, read or written. */
function cachedPrefixOf(usage: UsageRecord | null): number {
  return (usage?.cacheReadInputTokens ?? 0) + (usage?.cacheCreationInputTokens ?? 0)
}

function shortfallOf(usage: UsageRecord, before: UsageRecord | null): number {
  return Math.max(0, cachedPrefixOf(before) - (usage.cacheReadInputTokens ?? 0))
}

function secondsBetween(from: Date, to: Date): number {
  return (to.getTime() - from.getTime()) / 1000
}

/** `"cache_control": {...}` with its flat object's members. */
const CACHE_CONTROL = /"cache_control"\s*:\s*\{([^{}]*)\}/g
const TTL_MEMBER = /"ttl"\s*:\s*"([^"]*)"/

/**
 * The TTL, in seconds, of the last `cache_control` in `texts` (body parts in body order), or null
 * when none has one. The last breakpoint covers the longest prefix, the one the next turn reads.
 */
export function lastCacheTtlSeconds(texts: readonly string[]): number | null {
  for (let i = texts.length - 1; i >= 0; i--) {
    const markers = [...texts[i]!.matchAll(CACHE_CONTROL)]
    const last = markers.at(-1)
    if (last === undefined) continue
    const ttl = TTL_MEMBER.exec(last[1]!)?.[1]
    return ttl === undefined ? DEFAULT_CACHE_TTL_SECONDS : (TTL_SECONDS[ttl] ?? DEFAULT_CACHE_TTL_SECONDS)
  }
  return null
}
