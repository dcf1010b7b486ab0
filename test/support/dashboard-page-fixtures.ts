import type { CacheMiss, ConversationDetail, ConversationSummary, ConversationThread, ConversationTurn } from '../../client/src/graphql/conversation-documents'
import type { QuotaWindow, RateLimitStatus, UsageBucket, UsageReport } from '../../client/src/graphql/usage-documents'

/**
 * Answers of the conversation and usage queries, shaped as the server gives them, for the page
 * tests' fake server. Ids and times increase with each call, so later calls are newer.
 */

let sequence = 0
const next = () => ++sequence
const at = (n: number) => new Date(Date.UTC(2026, 0, 15, 9, 0, n)).toISOString()
export const requestIdOf = (n: number) => `0190b000-0000-7000-8000-${String(n).padStart(12, '0')}`

export function conversationSummary(overrides: Partial<ConversationSummary> = {}): ConversationSummary {
  const n = next()
  return {
    id: `conv-${n}`,
    title: `Conversation ${n}`,
    sessionId: `session-${n}`,
    startedAt: at(n),
    lastActivityAt: at(n + 1),
    requestCount: 3,
    models: ['claude-sonnet-4-5'],
    costUsd: 0.0123,
    usage: { inputTokens: 1200, outputTokens: 345, cacheCreationInputTokens: 500, cacheReadInputTokens: 9000 },
    ...overrides,
  }
}

export function turn(threadId: string, requestNumber: number, overrides: Partial<ConversationTurn> = {}): ConversationTurn {
  return {
    requestId: requestIdOf(requestNumber),
    threadId,
    startedAt: at(requestNumber),
    completedAt: at(requestNumber + 1),
    model: 'claude-sonnet-4-5',
    path: '/v1/messages',
    status: 'COMPLETED',
    stopReason: 'end_turn',
    ttfbMs: 320,
    durationMs: 1840,
    costUsd: 0.01,
    messageCount: 1,
    newMessageCount: 1,
    usage: { inputTokens: 100, outputTokens: 20, cacheCreationInputTokens: 300, cacheReadInputTokens: 4000 },
    ...overrides,
  }
}

/** A thread whose messages are given as [requestNumber, message JSON] pairs, in order. */
export function thread(id: string, kind: ConversationThread['kind'], messages: [number, { role: string; content: unknown }][], overrides: Partial<ConversationThread> = {}): ConversationThread {
  return {
    id,
    kind,
    parentThreadId: null,
    parentToolUseId: null,
    agentId: null,
    purpose: null,
    startedAt: at(1),
    lastActivityAt: at(2),
    requestCount: new Set(messages.map(([request]) => request)).size,
    messageCount: messages.length,
    messages: messages.map(([request, message], position) => ({ position, role: message.role, requestId: requestIdOf(request), contentText: JSON.stringify(message) })),
    ...overrides,
  }
}

/** A conversation's detail; `cacheMisses` by request number, summed as the server sums them. */
export function conversationDetail(summary: ConversationSummary, threads: ConversationThread[], turns: ConversationTurn[], cacheMisses: Record<number, CacheMiss> = {}): ConversationDetail {
  const misses = Object.entries(cacheMisses).map(([n, miss]) => ({ id: requestIdOf(Number(n)), cacheMiss: miss }))
  const reasons = [...new Set(misses.map(({ cacheMiss }) => cacheMiss.reason))]
  const sum = (list: typeof misses) => ({ requests: list.length, missedTokens: list.reduce((t, m) => t + m.cacheMiss.missedTokens, 0), missCostUsd: list.reduce((t, m) => t + (m.cacheMiss.missCostUsd ?? 0), 0) })
  return {
    ...summary,
    sessionSource: 'HEADER',
    threads,
    turns,
    cacheMisses: { ...sum(misses), unpricedRequests: 0, byReason: reasons.map((reason) => ({ reason, ...sum(misses.filter((m) => m.cacheMiss.reason === reason)) })) },
    requests: { nodes: [...turns.map((t) => ({ id: t.requestId, cacheMiss: null })).filter((r) => !misses.some((m) => m.id === r.id)), ...misses] },
  }
}

export function cacheMiss(overrides: Partial<CacheMiss> = {}): CacheMiss {
  return { reason: 'TTL_EXPIRED', causes: ['TTL_EXPIRED'], missedTokens: 4000, missCostUsd: 0.0135, idleSeconds: 420, ttlSeconds: 300, ...overrides }
}

export function usageBucket(localStart: string, model: string, overrides: Partial<UsageBucket> = {}): UsageBucket {
  return {
    start: new Date(`${localStart}Z`).toISOString(),
    localStart,
    model,
    requests: 1,
    inputTokens: 100,
    outputTokens: 50,
    cacheCreationInputTokens: 0,
    cacheCreation5mInputTokens: 0,
    cacheCreation1hInputTokens: 0,
    cacheReadInputTokens: 0,
    totalInputTokens: 100,
    costUsd: 0.001,
    unpricedRequests: 0,
    ...overrides,
  }
}

/** A report whose totals are the sum of its buckets, as the server's are. */
export function usageReport(buckets: UsageBucket[], overrides: Partial<UsageReport> = {}): UsageReport {
  const sum = (key: keyof UsageBucket & keyof UsageReport['totals']) => buckets.reduce((total, bucket) => total + (bucket[key] as number), 0)
  return {
    from: '2026-01-08T00:00:00.000Z',
    to: '2026-01-16T00:00:00.000Z',
    timezone: 'UTC',
    unpricedModels: [],
    warnings: [],
    totals: {
      requests: sum('requests'),
      inputTokens: sum('inputTokens'),
      outputTokens: sum('outputTokens'),
      cacheCreationInputTokens: sum('cacheCreationInputTokens'),
      cacheCreation5mInputTokens: sum('cacheCreation5mInputTokens'),
      cacheCreation1hInputTokens: sum('cacheCreation1hInputTokens'),
      cacheReadInputTokens: sum('cacheReadInputTokens'),
      totalInputTokens: sum('totalInputTokens'),
      costUsd: sum('costUsd'),
      unpricedRequests: sum('unpricedRequests'),
    },
    buckets,
    ...overrides,
  }
}

export function quotaWindow(name: '5h' | '7d', overrides: Partial<QuotaWindow> = {}): QuotaWindow {
  return {
    name,
    utilization: 0.42,
    status: 'allowed',
    resetsAt: '2026-01-15T12:00:00.000Z',
    startedAt: '2026-01-15T07:00:00.000Z',
    attribution: {
      utilization: 0.42,
      attributedUtilization: 0.4,
      unattributedUtilization: 0.02,
      requestCount: 3,
      pendingRequests: 0,
      byModel: [
        { key: 'claude-opus-4-5', utilization: 0.3, fraction: 0.75, requests: 1 },
        { key: 'claude-sonnet-4-5', utilization: 0.1, fraction: 0.25, requests: 2 },
      ],
      byConversation: [{ key: 'conv-quota-0001', utilization: 0.3, requests: 2 }],
      topRequests: [{ requestId: requestIdOf(900), model: 'claude-opus-4-5', utilization: 0.3 }],
      projection: null,
    },
    ...overrides,
  }
}

export function rateLimitStatus(overrides: Partial<RateLimitStatus> = {}): RateLimitStatus {
  return {
    organizationId: 'org-1',
    apiKeyFingerprint: 'key:3f9a1c2b',
    observedAt: '2026-01-15T10:00:00.000Z',
    status: 'allowed',
    representativeClaim: 'five_hour',
    fiveHour: quotaWindow('5h'),
    sevenDay: quotaWindow('7d', { utilization: 0.13, resetsAt: '2026-01-20T00:00:00.000Z', attribution: null }),
    ...overrides,
  }
}
