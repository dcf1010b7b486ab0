import { UserInputError } from '../graphql/errors'
import { isRewritableHeader } from '../proxy/header-rewrite'
import type { HeaderRuleDefinition, ValidHeaderRule } from './header-rule'

/** RFC 9110 token characters: what a field name may be made of. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/** What a field value may hold (as node checks it): tab, visible ASCII, space and obs-text; never CR, LF, NUL or other controls. */
const INVALID_VALUE_CHAR = /[^\t\x20-\x7e\x80-\xff]/

const SCOPES = new Set(['REQUEST', 'RESPONSE'])
const ACTIONS = new Set(['BLOCK', 'SET', 'REPLACE'])

/**
 * Checks a rule and normalises it, or throws a UserInputError naming the field, what was expected
 * and what arrived. `field` prefixes the argument name, e.g. `rules[2]` in a dry run or an import.
 */
export function validateHeaderRule(rule: HeaderRuleDefinition, field = 'rule'): ValidHeaderRule {
  if (!SCOPES.has(rule.scope)) throw new UserInputError('SETTINGS_DOCUMENT_INVALID', `${field}.scope must be REQUEST or RESPONSE, got ${JSON.stringify(rule.scope)}`, `${field}.scope`)
  if (!ACTIONS.has(rule.action)) throw new UserInputError('SETTINGS_DOCUMENT_INVALID', `${field}.action must be BLOCK, SET or REPLACE, got ${JSON.stringify(rule.action)}`, `${field}.action`)
  const header = typeof rule.header === 'string' ? rule.header.trim().toLowerCase() : ''
  if (header === '') throw new UserInputError('HEADER_NAME_EMPTY', `${field}.header must name a header, got an empty name`, `${field}.header`)
  if (!TOKEN.test(header)) {
    throw new UserInputError('HEADER_NAME_INVALID', `${field}.header must be a header name of letters, digits and !#$%&'*+-.^_\`|~ only, got ${JSON.stringify(rule.header)}`, `${field}.header`)
  }
  if (!isRewritableHeader(header)) {
    throw new UserInputError(
      'HEADER_NOT_REWRITABLE',
      `${field}.header ${header} cannot be rewritten: hop-by-hop fields, host, content-length and expect belong to the connection and the body the proxy sends`,
      `${field}.header`,
    )
  }
  const value = rule.value ?? null
  const find = rule.find ?? null
  if (rule.action === 'SET' && value === null) throw new UserInputError('HEADER_RULE_VALUE_REQUIRED', `SET needs a \`value\` (${field}.value), got none`, `${field}.value`)
  if (rule.action === 'REPLACE') {
    if (find === null || find === '') throw new UserInputError('HEADER_RULE_FIND_REQUIRED', `REPLACE needs a non-empty \`find\` (${field}.find), got ${find === null ? 'none' : 'an empty text'}`, `${field}.find`)
    if (value === null) throw new UserInputError('HEADER_RULE_VALUE_REQUIRED', `REPLACE needs a \`value\` to put in place of \`find\` (${field}.value; '' removes it), got none`, `${field}.value`)
  }
  checkValueText(value, `${field}.value`)
  checkValueText(find, `${field}.find`)
  const model = emptyAsNull(rule.model)
  if (model !== null && model.indexOf('*') !== -1 && model.indexOf('*') !== model.length - 1) {
    throw new UserInputError('HEADER_RULE_MATCH_INVALID', `${field}.model may hold one \`*\`, at its end (a prefix match), got ${JSON.stringify(model)}`, `${field}.model`)
  }
  const pathPrefix = emptyAsNull(rule.pathPrefix)
  if (pathPrefix !== null && !pathPrefix.startsWith('/')) {
    throw new UserInputError('HEADER_RULE_MATCH_INVALID', `${field}.pathPrefix must start with /, e.g. /v1/messages, got ${JSON.stringify(pathPrefix)}`, `${field}.pathPrefix`)
  }
  return {
    scope: rule.scope,
    header,
    action: rule.action,
    // BLOCK uses neither; SET no find: kept null so a stored rule says only what it does.
    value: rule.action === 'BLOCK' ? null : value,
    find: rule.action === 'REPLACE' ? find : null,
    enabled: rule.enabled ?? true,
    pathPrefix,
    model,
    description: emptyAsNull(rule.description),
  }
}

function checkValueText(text: string | null, field: string): void {
  if (text === null) return
  const bad = INVALID_VALUE_CHAR.exec(text)
  if (bad !== null) {
    const code = bad[0].charCodeAt(0)
    throw new UserInputError(
      'HEADER_VALUE_INVALID',
      `${field} may hold tab, space, visible ASCII and U+0080 to U+00FF only: no CR, LF, NUL or other control character (they would split or end the header) and nothing beyond U+00FF; got U+${code.toString(16).toUpperCase().padStart(4, '0')} at index ${bad.index}`,
      field,
    )
  }
}

function emptyAsNull(text: string | null | undefined): string | null {
  return text === undefined || text === null || text === '' ? null : text
}
