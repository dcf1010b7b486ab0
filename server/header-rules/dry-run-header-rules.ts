import { isForwardedRequestHeader, isRelayedResponseHeader } from '../proxy/hop-by-hop'
import type { RequestRecord } from '../records/request-record'
import { compileHeaderRules } from './compile-header-rules'
import type { ValidHeaderRule } from './header-rule'

type Headers = Record<string, string | string[]>

/** What a dry run reads of a recorded request. */
export type DryRunSubject = Pick<RequestRecord, 'id' | 'path' | 'model' | 'requestHeaders' | 'responseHeaders'>

export interface DryRunOutcome {
  requestId: string
  requestHeadersBefore: Headers
  requestHeadersAfter: Headers
  responseHeadersBefore: Headers | null
  responseHeadersAfter: Headers | null
  fired: Array<{ id: string; scope: 'REQUEST' | 'RESPONSE'; header: string; action: 'BLOCK' | 'SET' | 'REPLACE' }>
}

/**
 * Runs `rules` (all of them as given, disabled ones skipped) on a recorded request's headers with
 * the code the proxy runs: the client's headers as they would go upstream, upstream's as they would
 * go to the client. Rules are named by their id, or without one by their index in `rules`.
 */
export function dryRunHeaderRules(rules: ReadonlyArray<ValidHeaderRule & { id?: string }>, subject: DryRunSubject): DryRunOutcome {
  const rewrite = compileHeaderRules(rules.map((rule, index) => ({ ...rule, id: rule.id ?? String(index) })))
  const facts = { path: subject.path, model: subject.model }
  const requestHeadersBefore = forwardedRequestHeaders(subject.requestHeaders)
  const upstream = toFlatList(requestHeadersBefore)
  const firedOnRequest = rewrite.rewriteRequest(upstream, facts)
  const responseHeadersBefore = subject.responseHeaders === null ? null : relayedResponseHeaders(subject.responseHeaders)
  const responseHeadersAfter = responseHeadersBefore === null ? null : { ...responseHeadersBefore }
  const firedOnResponse = responseHeadersAfter === null ? [] : rewrite.rewriteResponse(responseHeadersAfter, facts)
  return {
    requestId: subject.id,
    requestHeadersBefore,
    requestHeadersAfter: toRecord(upstream),
    responseHeadersBefore,
    responseHeadersAfter,
    fired: [...firedOnRequest, ...firedOnResponse].map(({ id, scope, header, action }) => ({ id, scope, header, action })),
  }
}

/** The client's headers (as recorded) that go upstream when no rule changes them. */
export function forwardedRequestHeaders(headers: Headers): Headers {
  return pick(headers, isForwardedRequestHeader)
}

/** Upstream's headers (as recorded) that go to the client when no rule changes them. */
export function relayedResponseHeaders(headers: Headers): Headers {
  return pick(headers, isRelayedResponseHeader)
}

function pick(headers: Headers, keep: (lowerCaseName: string) => boolean): Headers {
  const out: Headers = {}
  for (const [name, value] of Object.entries(headers)) if (keep(name.toLowerCase())) out[name] = value
  return out
}

function toFlatList(headers: Headers): string[] {
  const flat: string[] = []
  for (const [name, value] of Object.entries(headers)) {
    for (const one of Array.isArray(value) ? value : [value]) flat.push(name, one)
  }
  return flat
}

function toRecord(flat: readonly string[]): Headers {
  const record: Headers = {}
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!.toLowerCase()
    const previous = record[name]
    const value = flat[i + 1]!
    record[name] = previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [previous, value]
  }
  return record
}
