import { describe, expect, it } from 'vitest'
import { cacheMissesOf, lastCacheTtlSeconds, previousTurns, turnsNeedingTtl, type CacheTurn } from '../../server/conversations/cache-misses'
import type { UsageRecord } from '../../server/records/request-record'

const T0 = Date.UTC(2026, 10, 2, 9, 0, 0)
const at = (seconds: number) => new Date(T0 + seconds * 1000)

function usage(read: number, write5m: number, write1h = 0): UsageRecord {
  return {
    inputTokens: 3, outputTokens: 100, cacheCreationInputTokens: write5m + write1h, cacheCreation5mInputTokens: write5m, cacheCreation1hInputTokens: write1h,
    cacheReadInputTokens: read, thinkingTokens: null, webSearchRequests: null, webFetchRequests: null, serviceTier: 'standard', inferenceGeo: null,
  }
}

const MAIN_KEYS = ['u1', 'a1', 'u2', 'a2', 'u3']

/** A turn of the main thread; `start` and `end` in seconds after T0. */
function turn(id: string, start: number, end: number, messageCount: number, turnUsage: UsageRecord | null, more: Partial<CacheTurn> = {}): CacheTurn {
  return {
    requestId: id, threadId: 'main', isSide: false, startedAt: at(start), completedAt: at(end), model: 'claude-sonnet-4-5',
    toolsKey: 'tools-1', systemKey: 'system-1', threadMessageKeys: MAIN_KEYS, messageCount, usage: turnUsage, ...more,
  }
}

/** Turn 1 writes 10,000 tokens; turn 2, a minute later, reads them all and writes its 2,000 new ones: it cached 12,000. */
const opening = [turn('t1', 0, 10, 1, usage(0, 10_000)), turn('t2', 60, 70, 3, usage(10_000, 2000))]

describe('cache misses of a thread', () => {
  it('reports a first turn that wrote to the cache with nothing missed, and no miss for a turn that read the whole cached prefix', () => {
    const misses = cacheMissesOf(opening, new Map())
    expect([...misses.keys()]).toEqual(['t1'])
    expect(misses.get('t1')).toMatchObject({ reason: 'FIRST_TURN', causes: ['FIRST_TURN'], previousRequestId: null, cacheWriteTokens: 10_000, missedTokens: 0, expectedReadTokens: 0 })
  })

  it('finds the 5-minute TTL elapsed when the next turn comes 10 minutes after the previous one started, and counts the rewritten prefix as missed', () => {
    // t3 starts 600 s after t2 started (590 s after it ended), reads nothing and writes 14,000: 12,000 of them were cached.
    const misses = cacheMissesOf([...opening, turn('t3', 660, 670, 5, usage(0, 14_000))], new Map())
    expect(misses.get('t3')).toEqual({
      requestId: 't3', reason: 'TTL_EXPIRED', causes: ['TTL_EXPIRED'], previousRequestId: 't2', idleSeconds: 590, cacheAgeSeconds: 600, ttlSeconds: 300,
      expectedReadTokens: 12_000, cacheReadTokens: 0, cacheWriteTokens: 14_000, missedTokens: 12_000, missed1hTokens: 0, missed5mTokens: 12_000,
    })
  })

  it('does not blame the TTL for the same 10-minute gap when the previous turn cached for an hour', () => {
    const turns = [...opening, turn('t3', 660, 670, 5, usage(0, 0, 14_000))]
    expect(turnsNeedingTtl(turns)).toEqual(['t2'])
    const miss = cacheMissesOf(turns, new Map([['t2', 3600]])).get('t3')!
    expect(miss).toMatchObject({ reason: 'UNEXPLAINED', causes: ['UNEXPLAINED'], ttlSeconds: 3600, cacheAgeSeconds: 600, missedTokens: 12_000 })
  })

  it('measures the TTL from the last turn that read the cache, since a read refreshes it', () => {
    // t2 read the prefix 60 s after t1; t3 comes 290 s after t2 (350 s after t1): within 5 minutes of the refresh.
    const turns = [...opening, turn('t3', 350, 360, 5, usage(0, 14_000))]
    expect(cacheMissesOf(turns, new Map()).get('t3')).toMatchObject({ reason: 'UNEXPLAINED', cacheAgeSeconds: 290 })
  })

  it('splits the missed tokens into 1-hour writes first, then 5-minute ones', () => {
    // 5,000 written for an hour and 9,000 for 5 minutes; the 12,000 missed are the first written: all 5,000 1-hour ones and 7,000 5-minute ones.
    const miss = cacheMissesOf([...opening, turn('t3', 660, 670, 5, usage(0, 9000, 5000))], new Map()).get('t3')!
    expect(miss).toMatchObject({ missedTokens: 12_000, missed1hTokens: 5000, missed5mTokens: 7000 })
  })

  it('names a changed model, tools or system prompt, and keeps every cause that holds with the first as the reason', () => {
    const changed = (id: string, more: Partial<CacheTurn>, start = 90) => cacheMissesOf([...opening, turn(id, start, start + 5, 5, usage(0, 14_000), more)], new Map()).get(id)!
    expect(changed('model', { model: 'claude-opus-4-6' })).toMatchObject({ reason: 'MODEL_CHANGED', causes: ['MODEL_CHANGED'] })
    expect(changed('tools', { toolsKey: 'tools-2' })).toMatchObject({ reason: 'TOOLS_CHANGED', causes: ['TOOLS_CHANGED'] })
    expect(changed('system', { systemKey: 'system-2' })).toMatchObject({ reason: 'SYSTEM_CHANGED', causes: ['SYSTEM_CHANGED'] })
    expect(changed('late', { systemKey: 'system-2' }, 3600)).toMatchObject({ reason: 'TTL_EXPIRED', causes: ['TTL_EXPIRED', 'SYSTEM_CHANGED'] })
  })

  it('finds an edited earlier message in a forked thread by comparing it with the turn it forked from', () => {
    // The fork keeps u1, then has an edited reply: it read the 4,000 tokens of tools, system and u1, and wrote 9,000.
    const fork = turn('t3', 90, 95, 3, usage(4000, 9000), { threadId: 'fork', threadMessageKeys: ['u1', 'a1-edited', 'u2-edited'] })
    const miss = cacheMissesOf([...opening, fork], new Map()).get('t3')!
    expect(miss).toMatchObject({ reason: 'MESSAGES_EDITED', previousRequestId: 't2', expectedReadTokens: 12_000, cacheReadTokens: 4000, missedTokens: 8000 })
  })

  it('counts a turn that sent fewer messages than the previous one as edited', () => {
    expect(cacheMissesOf([...opening, turn('t3', 90, 95, 1, usage(0, 10_000))], new Map()).get('t3')).toMatchObject({ reason: 'MESSAGES_EDITED', missedTokens: 10_000 })
  })

  it('reports a read shortfall that wrote nothing instead, with no missed writes', () => {
    expect(cacheMissesOf([...opening, turn('t3', 90, 95, 5, usage(4000, 0))], new Map()).get('t3')).toMatchObject({ reason: 'UNEXPLAINED', expectedReadTokens: 12_000, cacheReadTokens: 4000, missedTokens: 0 })
  })

  it('asks for the TTL of the previous turns of shortfalls only', () => {
    const turns = [...opening, turn('t3', 90, 95, 5, usage(12_000, 500)), turn('t4', 100, 105, 5, usage(0, 12_500))]
    expect(turnsNeedingTtl(turns)).toEqual(['t3'])
  })

  it('compares with the last turn that reported usage, leaving side calls and failed turns out', () => {
    const failed = turn('failed', 80, 81, 5, null)
    const side = turn('side', 85, 86, 0, usage(0, 500), { threadId: 'side', isSide: true, threadMessageKeys: [] })
    const turns = [...opening, failed, side, turn('t3', 90, 95, 5, usage(12_000, 500))]
    const previous = previousTurns(turns)
    expect(previous.get('t3')?.requestId).toBe('t2')
    expect(previous.has('side')).toBe(false)
    expect([...cacheMissesOf(turns, new Map()).keys()]).toEqual(['t1'])
  })
})

describe('lastCacheTtlSeconds', () => {
  it('reads the TTL of the last cache_control, 5 minutes when it names none, and null without any', () => {
    const system = '{"type":"text","text":"You are Claude Code","cache_control":{"type":"ephemeral","ttl":"1h"}}'
    const marked5m = '{"role":"user","content":[{"type":"text","text":"hi","cache_control":{"type":"ephemeral"}}]}'
    const plain = '{"role":"assistant","content":"a \\"cache_control\\": {\\"ttl\\": \\"1h\\"} in text"}'
    expect(lastCacheTtlSeconds([system, marked5m, plain])).toBe(300)
    expect(lastCacheTtlSeconds([marked5m, system, plain])).toBe(3600)
    expect(lastCacheTtlSeconds([plain])).toBeNull()
  })
})
