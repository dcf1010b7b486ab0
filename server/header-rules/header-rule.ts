import type { HeaderAction, HeaderScope } from '../proxy/header-rewrite'

export type { HeaderAction, HeaderScope }

/** What defines a rule, as an operator writes it (create, dry run, import). */
export interface HeaderRuleDefinition {
  scope: HeaderScope
  /** Header name, any case; stored lower-case. */
  header: string
  action: HeaderAction
  /** SET: the value set. REPLACE: what each occurrence of `find` becomes ('' removes it). */
  value?: string | null
  /** REPLACE: the text to replace, every occurrence. */
  find?: string | null
  /** @default true */
  enabled?: boolean | null
  /** Only for request paths starting with this, e.g. `/v1/messages`. */
  pathPrefix?: string | null
  /** Only for requests asking for this model; a trailing `*` matches any rest (`claude-opus-*`). */
  model?: string | null
  /** A note for people. */
  description?: string | null
}

/** A definition checked and normalised: the header lower-case, absent options null. */
export interface ValidHeaderRule {
  scope: HeaderScope
  header: string
  action: HeaderAction
  value: string | null
  find: string | null
  enabled: boolean
  pathPrefix: string | null
  model: string | null
  description: string | null
}

/** A stored rule. */
export interface HeaderRuleRecord extends ValidHeaderRule {
  id: string
  /** 0-based place in the order rules apply in. */
  position: number
  createdAt: Date
  updatedAt: Date
}
