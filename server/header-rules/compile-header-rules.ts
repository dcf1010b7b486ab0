import { NONE_FIRED, type ExchangeFacts, type FiredHeaderRule, type HeaderRewrite } from '../proxy/header-rewrite'
import type { ValidHeaderRule } from './header-rule'

/** A rule as the proxy runs it; it is also the fired-rule entry the record gets (no copy per exchange). */
interface CompiledRule extends FiredHeaderRule {
  readonly value: string
  readonly find: string
  readonly pathPrefix: string | null
  /** Exact model, or the prefix when `isModelPrefix`. */
  readonly model: string | null
  readonly isModelPrefix: boolean
}

/** A rule to compile: a valid definition and the id fired-rule lists name it by. */
export type RuleToCompile = ValidHeaderRule & { id: string }

/**
 * The snapshot the proxy applies: enabled rules of each scope, in order, with their conditions
 * prepared. Pure: the same rules compile to the same behaviour, which the dry run relies on.
 */
export function compileHeaderRules(rules: readonly RuleToCompile[]): HeaderRewrite {
  const enabled = rules.filter((rule) => rule.enabled).map(compileRule)
  const request = enabled.filter((rule) => rule.scope === 'REQUEST')
  const response = enabled.filter((rule) => rule.scope === 'RESPONSE')
  return {
    isEmpty: enabled.length === 0,
    needsModel: enabled.some((rule) => rule.model !== null),
    rewriteRequest: (headers, facts) => (request.length === 0 ? NONE_FIRED : applyAll(request, facts, (rule) => rewriteList(headers, rule))),
    rewriteResponse: (headers, facts) => (response.length === 0 ? NONE_FIRED : applyAll(response, facts, (rule) => rewriteRecord(headers, rule))),
  }
}

function compileRule(rule: RuleToCompile): CompiledRule {
  const isModelPrefix = rule.model !== null && rule.model.endsWith('*')
  return {
    id: rule.id,
    scope: rule.scope,
    header: rule.header,
    action: rule.action,
    value: rule.value ?? '',
    find: rule.find ?? '',
    pathPrefix: rule.pathPrefix,
    model: isModelPrefix ? rule.model!.slice(0, -1) : rule.model,
    isModelPrefix,
  }
}

/** Runs `apply` for each rule whose conditions hold, in order; the fired list is allocated only once one fires. */
function applyAll(rules: readonly CompiledRule[], facts: ExchangeFacts, apply: (rule: CompiledRule) => boolean): readonly FiredHeaderRule[] {
  let fired: FiredHeaderRule[] | null = null
  for (const rule of rules) {
    if (!matches(rule, facts) || !apply(rule)) continue
    ;(fired ??= []).push(rule)
  }
  return fired ?? NONE_FIRED
}

function matches(rule: CompiledRule, facts: ExchangeFacts): boolean {
  if (rule.pathPrefix !== null && !facts.path.startsWith(rule.pathPrefix)) return false
  if (rule.model === null) return true
  if (facts.model === null) return false
  return rule.isModelPrefix ? facts.model.startsWith(rule.model) : facts.model === rule.model
}

/**
 * One rule on a flat `[name, value, …]` list (names in the client's spelling). Returns whether it
 * fired: BLOCK when it removed something, SET always, REPLACE when `find` occurred.
 */
function rewriteList(headers: string[], rule: CompiledRule): boolean {
  const { header } = rule
  switch (rule.action) {
    case 'BLOCK': {
      let removed = false
      for (let i = headers.length - 2; i >= 0; i -= 2) {
        if (isNamed(headers[i]!, header)) {
          headers.splice(i, 2)
          removed = true
        }
      }
      return removed
    }
    case 'SET': {
      // The first occurrence takes the value where it stands; repeats go, so the header has exactly it.
      let at = -1
      for (let i = headers.length - 2; i >= 0; i -= 2) {
        if (!isNamed(headers[i]!, header)) continue
        if (at !== -1) headers.splice(at, 2)
        at = i
      }
      if (at === -1) headers.push(header, rule.value)
      else headers[at + 1] = rule.value
      return true
    }
    case 'REPLACE': {
      let replaced = false
      for (let i = 0; i < headers.length; i += 2) {
        const value = headers[i + 1]!
        if (isNamed(headers[i]!, header) && value.includes(rule.find)) {
          headers[i + 1] = value.replaceAll(rule.find, rule.value)
          replaced = true
        }
      }
      return replaced
    }
  }
}

/** One rule on a lower-case-named record (repeats as arrays). Fires as `rewriteList` does. */
function rewriteRecord(headers: Record<string, string | string[]>, rule: CompiledRule): boolean {
  const { header } = rule
  const current = headers[header]
  switch (rule.action) {
    case 'BLOCK':
      if (current === undefined) return false
      delete headers[header]
      return true
    case 'SET':
      headers[header] = rule.value
      return true
    case 'REPLACE': {
      if (current === undefined) return false
      if (typeof current === 'string') {
        if (!current.includes(rule.find)) return false
        headers[header] = current.replaceAll(rule.find, rule.value)
        return true
      }
      if (!current.some((value) => value.includes(rule.find))) return false
      headers[header] = current.map((value) => value.replaceAll(rule.find, rule.value))
      return true
    }
  }
}

/** Case-insensitive name comparison that lower-cases only names of the right length. */
function isNamed(name: string, lowerCaseHeader: string): boolean {
  return name.length === lowerCaseHeader.length && (name === lowerCaseHeader || name.toLowerCase() === lowerCaseHeader)
}
