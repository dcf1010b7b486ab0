import { Client, getOperationName, makeErrorResult, makeOperation, makeResult, type Exchange, type Operation } from '@urql/core'
import { shallowRef } from 'vue'
import { filter, fromValue, makeSubject, map, mergeMap, onEnd, pipe, share, takeUntil, type Source, type Subject } from 'wonka'
import type {
  CaptureHealth,
  LiveStatusData,
  RequestDetail,
  RequestDetailVariables,
  RequestEventData,
  RequestStatus,
  RequestSummary,
  RequestTimelineData,
  RequestTimelineVariables,
  RequestsPageData,
  RequestsPageVariables,
  StreamChunksData,
} from '../../client/src/graphql/documents'

/**
 * A real urql Client whose only exchange plays the server: queries are answered from `rows`
 * (newest first, cursor = the last row's id), and every active subscription receives what the test
 * pushes with `emit`, through a wonka subject as the fake live stream.
 */
export function createFakeGraphQLServer(options: { rows?: RequestDetail[]; pageSize?: number; chunks?: Map<string, RequestChunk[]>; answers?: FakeAnswers } = {}) {
  const rows = options.rows ?? []
  const chunks = options.chunks ?? new Map<string, RequestChunk[]>()
  const pageSize = options.pageSize ?? 50
  /** Events of named subscriptions (requestEvents, liveStatus, and whatever a test publishes). */
  const live = makeSubject<{ operationName: string; data: FakeData }>()
  /** One stream per request, made when first subscribed or fed; completing it ends its subscriptions. */
  const streams = new Map<string, Subject<StreamChunksData>>()
  const streamOf = (requestId: string) => {
    let stream = streams.get(requestId)
    if (!stream) streams.set(requestId, (stream = makeSubject<StreamChunksData>()))
    return stream
  }
  const operations: Operation[] = []

  /** What a subscription receives: a request's own stream for streamChunks, else the events published under its name. */
  const liveSource = (operation: Operation): Source<FakeData> => {
    const name = getOperationName(operation.query)
    if (name === 'StreamChunks') return streamOf((operation.variables as { requestId: string }).requestId).source
    return pipe(
      live.source,
      filter((event) => event.operationName === name),
      map((event) => event.data),
    )
  }

  const answer = (operation: Operation) => {
    switch (getOperationName(operation.query)) {
      case 'RequestsPage': {
        const { after, first } = operation.variables as RequestsPageVariables
        const start = after ? rows.findIndex((row) => row.id === after) + 1 : 0
        const nodes = rows.slice(start, start + Math.min(first ?? pageSize, pageSize))
        const data: RequestsPageData = {
          requests: {
            nodes,
            pageInfo: { hasNextPage: start + nodes.length < rows.length, endCursor: nodes.at(-1)?.id ?? null },
            totalCount: rows.length,
          },
        }
        return data
      }
      case 'RequestDetail': {
        const { id } = operation.variables as RequestDetailVariables
        return { request: rows.find((row) => row.id === id) ?? null }
      }
      case 'RequestTimeline': {
        const { id } = operation.variables as RequestTimelineVariables
        const row = rows.find((candidate) => candidate.id === id)
        const data: RequestTimelineData = { request: row ? { id: row.id, ttfbMs: row.ttfbMs, durationMs: row.durationMs, chunks: chunks.get(row.id) ?? [] } : null }
        return data
      }
      default: {
        const answerOf = options.answers?.[getOperationName(operation.query) ?? '']
        if (answerOf) return answerOf(operation.variables as Record<string, unknown>)
        // The header asks on every page: a healthy capture unless a test answers otherwise.
        if (getOperationName(operation.query) === 'CaptureHealth') return { health: healthyCapture() }
        throw new Error(`The fake server does not know ${getOperationName(operation.query)}`)
      }
    }
  }

  /**
   * What the server answers. An answer that throws a FakeGraphQLError comes back as an errors entry,
   * as the real server sends a UserInputError; any other throw as a failed request would.
   */
  const resultOf = (operation: Operation) => {
    try {
      return makeResult(operation, { data: answer(operation) })
    } catch (error) {
      if (error instanceof FakeGraphQLError) {
        return makeResult(operation, { data: null, errors: [{ message: error.message, extensions: { code: error.code, ...(error.argument ? { argument: error.argument } : {}) } }] })
      }
      return makeErrorResult(operation, error instanceof Error ? error : new Error(String(error)))
    }
  }

  const exchange: Exchange = ({ client }) => (operations$) => {
    const shared = pipe(operations$, share)
    const teardowns = pipe(
      shared,
      filter((operation) => operation.kind === 'teardown'),
    )
    return pipe(
      shared,
      filter((operation) => operation.kind !== 'teardown'),
      mergeMap((operation) => {
        operations.push(operation)
        if (operation.kind !== 'subscription') return fromValue(resultOf(operation))
        return pipe(
          liveSource(operation),
          map((data) => makeResult(operation, { data })),
          // A subscription the server completes ends for its subscriber too, as urql's subscriptionExchange does it.
          onEnd(() => client.reexecuteOperation(makeOperation('teardown', operation, operation.context))),
          takeUntil(pipe(teardowns, filter((teardown) => teardown.key === operation.key))),
        )
      }),
    )
  }

  const client = new Client({ url: 'http://fake/graphql', exchanges: [exchange] })
  return {
    client,
    /** What components inject: @urql/vue keeps the client in a Ref under `$urql`. */
    provide: { $urql: shallowRef(client) },
    /** Every operation the client sent, in order. */
    operations,
    /** The stored requests, newest first: change them to change what later queries answer. */
    rows,
    /** Pushes a live event to every open `requestEvents` subscription. */
    emit(kind: RequestStatus, request: RequestSummary) {
      const data: RequestEventData = { requestEvents: { kind, request } }
      live.next({ operationName: 'RequestEvents', data })
    },
    /** Pushes `data` to every open subscription named `operationName`. */
    publish(operationName: string, data: FakeData) {
      live.next({ operationName, data })
    },
    /** Pushes one SSE event of a response to the `streamChunks` subscriptions of its request. */
    emitChunk(requestId: string, chunk: StreamChunksData['streamChunks']) {
      streamOf(requestId).next({ streamChunks: chunk })
    },
    /** Ends a response's stream, as the server completes `streamChunks` when the request ends. */
    endStream(requestId: string) {
      streamOf(requestId).complete()
      streams.delete(requestId)
    },
    /** Pushes the server's link state to every open `liveStatus` subscription. */
    emitLiveStatus(status: LiveStatusData['liveStatus']) {
      live.next({ operationName: 'LiveStatus', data: { liveStatus: status } })
    },
  }
}

/** An instance whose capture keeps up: records written, none waiting, none lost. */
export function healthyCapture(overrides: Partial<CaptureHealth['capture']> = {}): CaptureHealth {
  return {
    status: 'healthy',
    database: 'postgresql',
    inFlight: 2,
    capture: { queueItems: 0, queueBytes: 0, spoolBytes: 0, written: 1_234, lost: 0, failedBatches: 0, reduced: 0, quarantined: 0, lastWriteMs: 12, ...overrides },
  }
}

/** Answers to further operations, by operation name, from their variables; throwing answers with an error. */
export type FakeAnswers = Record<string, (variables: Record<string, unknown>) => FakeData>

/** The `data` of a GraphQL answer or live event. */
export type FakeData = Record<string, unknown>

/** A refusal as the server's UserInputError sends it: a typed code and the argument at fault. */
export class FakeGraphQLError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly argument?: string,
  ) {
    super(message)
  }
}

/** One stored SSE event as the timeline query selects it. */
export type RequestChunk = NonNullable<RequestTimelineData['request']>['chunks'][number]

let sequence = 0

/** A stored request; ids and start times increase with each call, so later calls are newer. */
export function recordedRequest(overrides: Partial<RequestDetail> = {}): RequestDetail {
  sequence++
  const startedAt = new Date(Date.UTC(2026, 0, 15, 9, 0, sequence)).toISOString()
  return {
    id: `0190a000-0000-7000-8000-${String(sequence).padStart(12, '0')}`,
    startedAt,
    completedAt: startedAt,
    method: 'POST',
    path: '/v1/messages',
    query: null,
    model: 'claude-sonnet-4-5',
    routedModel: null,
    provider: 'anthropic',
    stream: true,
    status: 'COMPLETED',
    httpStatus: 200,
    stopReason: 'end_turn',
    error: null,
    errorCode: null,
    ttfbMs: 320,
    durationMs: 1840,
    usage: { inputTokens: 1200, outputTokens: 345, cacheCreationInputTokens: 0, cacheCreation5mInputTokens: 0, cacheCreation1hInputTokens: 0, cacheReadInputTokens: 9000, thinkingTokens: null },
    costUsd: 0.0123,
    costStatus: 'PRICED',
    cacheMiss: null,
    rateLimit: null,
    upstreamRequestId: 'req_011CTest',
    userAgent: 'claude-cli/2.1.3 (external, cli)',
    apiKeyFingerprint: 'key:3f9a1c2b',
    requestHeaders: { 'anthropic-version': '2023-06-01', 'x-api-key': 'key:3f9a1c2b' },
    requestBodyText: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: 'Hello' }] }),
    responseHeaders: { 'content-type': 'text/event-stream' },
    responseBodyText: JSON.stringify({ type: 'message', role: 'assistant', content: [{ type: 'text', text: 'Hi there' }] }),
    responseSse: null,
    ...overrides,
  }
}

/** The row a list shows for a recorded request (what live events carry). */
export function summaryOf(request: RequestDetail): RequestSummary {
  const { upstreamRequestId, userAgent, apiKeyFingerprint, requestHeaders, requestBodyText, responseHeaders, responseBodyText, responseSse, cacheMiss, rateLimit, ...summary } = request
  const { cacheCreation5mInputTokens, cacheCreation1hInputTokens, ...usage } = summary.usage ?? {}
  return { ...summary, usage: summary.usage && (usage as NonNullable<RequestSummary['usage']>) }
}
