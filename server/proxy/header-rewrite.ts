/**
 * The header rewriting the proxy applies to each exchange. The proxy knows only this interface:
 * the rules are stored, validated and compiled elsewhere, and handed over as a function returning
 * the current snapshot, read once per exchange so its request and response see the same rules.
 */
import { isRewritableHeader } from './hop-by-hop'

export { isRewritableHeader }

export type HeaderScope = 'REQUEST' | 'RESPONSE'
export type HeaderAction = 'BLOCK' | 'SET' | 'REPLACE'

/** A rule that changed (or, for SET, set) a header of one exchange: plain data, for the record. */
export interface FiredHeaderRule {
  readonly id: string
  readonly scope: HeaderScope
  /** Lower-case header name. */
  readonly header: string
  readonly action: HeaderAction
}

/** What a rule's conditions look at. */
export interface ExchangeFacts {
  /** Path without the query string, e.g. `/v1/messages`. */
  readonly path: string
  /** The body's top-level `model` when it is a string; null otherwise or when no rule asks for it. */
  readonly model: string | null
}

/** Nothing fired: shared, so an exchange no rule touches allocates nothing. */
export const NONE_FIRED: readonly FiredHeaderRule[] = Object.freeze([])

export interface HeaderRewrite {
  /** No rule of either scope is enabled: the proxy skips all rewriting work. */
  readonly isEmpty: boolean
  /** Some enabled rule matches on the model, so the proxy reads it from the body (the scan is kept for capture). */
  readonly needsModel: boolean
  /**
   * Applies the REQUEST rules, in order, to the upstream header list (`[name, value, …]`, as sent),
   * in place. Returns the rules that fired, NONE_FIRED when none did.
   */
  rewriteRequest(headers: string[], facts: ExchangeFacts): readonly FiredHeaderRule[]
  /**
   * Applies the RESPONSE rules, in order, to the headers going to the client (lower-case names,
   * arrays for repeats), in place. Returns the rules that fired, NONE_FIRED when none did.
   */
  rewriteResponse(headers: Record<string, string | string[]>, facts: ExchangeFacts): readonly FiredHeaderRule[]
}

/** The snapshot while no rule exists. */
export const NO_HEADER_REWRITE: HeaderRewrite = {
  isEmpty: true,
  needsModel: false,
  rewriteRequest: () => NONE_FIRED,
  rewriteResponse: () => NONE_FIRED,
}
