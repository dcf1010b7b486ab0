import { GraphQLJSON } from 'graphql-scalars'
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql'
import type { FiredHeaderRuleRecord } from '../records/request-record'
import type { HeaderAction as HeaderActionValue, HeaderRuleDefinition, HeaderRuleRecord, HeaderScope as HeaderScopeValue } from './header-rule'

export const HeaderRuleScope = { REQUEST: 'REQUEST', RESPONSE: 'RESPONSE' } as const satisfies Record<HeaderScopeValue, HeaderScopeValue>
export const HeaderRuleAction = { BLOCK: 'BLOCK', SET: 'SET', REPLACE: 'REPLACE' } as const satisfies Record<HeaderActionValue, HeaderActionValue>

registerEnumType(HeaderRuleScope, {
  name: 'HeaderRuleScope',
  description: 'REQUEST: headers sent upstream (the client\'s are recorded as received). RESPONSE: headers returned to the client (upstream\'s are recorded as received).',
})
registerEnumType(HeaderRuleAction, {
  name: 'HeaderRuleAction',
  description: 'BLOCK removes the header; SET sets it to `value` (adding it when absent, leaving one occurrence); REPLACE replaces every occurrence of `find` in its value(s) with `value`.',
})

@ObjectType({ description: 'A header rule. Enabled rules apply in `position` order to every matching exchange, from the next request on, on every instance.' })
export class HeaderRule implements HeaderRuleRecord {
  @Field(() => ID) id: string
  @Field(() => Int, { description: '0-based place in the order rules apply in.' }) position: number
  @Field(() => HeaderRuleScope) scope: HeaderScopeValue
  @Field(() => String, { description: 'Header name, lower-case; matched case-insensitively.' }) header: string
  @Field(() => HeaderRuleAction) action: HeaderActionValue
  @Field(() => String, { nullable: true, description: 'SET: the value set. REPLACE: what each occurrence of find becomes.' }) value: string | null
  @Field(() => String, { nullable: true, description: 'REPLACE: the text replaced, every occurrence.' }) find: string | null
  @Field(() => Boolean) enabled: boolean
  @Field(() => String, { nullable: true, description: 'Applies only to request paths starting with this, e.g. /v1/messages.' }) pathPrefix: string | null
  @Field(() => String, { nullable: true, description: 'Applies only to requests asking for this model; a trailing * matches any rest, e.g. claude-opus-*.' }) model: string | null
  @Field(() => String, { nullable: true }) description: string | null
  @Field(() => Date) createdAt: Date
  @Field(() => Date) updatedAt: Date
}

@InputType({ description: 'What a header rule does. SET needs value; REPLACE needs a non-empty find and a value (\'\' removes find).' })
export class HeaderRuleInput implements HeaderRuleDefinition {
  @Field(() => HeaderRuleScope) scope: HeaderScopeValue
  @Field(() => String, { description: 'Header name, any case. Hop-by-hop fields, host, content-length and expect are refused.' }) header: string
  @Field(() => HeaderRuleAction) action: HeaderActionValue
  @Field(() => String, { nullable: true }) value?: string | null
  @Field(() => String, { nullable: true }) find?: string | null
  @Field(() => Boolean, { nullable: true, description: 'Default true.' }) enabled?: boolean | null
  @Field(() => String, { nullable: true }) pathPrefix?: string | null
  @Field(() => String, { nullable: true }) model?: string | null
  @Field(() => String, { nullable: true }) description?: string | null
}

@ObjectType({ description: 'A header rule that fired on an exchange, as it stood then (it may since have changed or gone).' })
export class FiredHeaderRule implements FiredHeaderRuleRecord {
  @Field(() => ID, { description: 'The rule\'s id; in a dry run of rules given as input, their 0-based index.' }) id: string
  @Field(() => HeaderRuleScope) scope: HeaderScopeValue
  @Field(() => String) header: string
  @Field(() => HeaderRuleAction) action: HeaderActionValue
}

@ObjectType({ description: 'What a set of header rules would do to a recorded exchange. Header values are the stored ones: secrets appear as their fingerprints.' })
export class HeaderRulesDryRun {
  @Field(() => ID) requestId: string
  @Field(() => GraphQLJSON, { description: 'The headers the client sent that go upstream (hop-by-hop fields, host and the like left out), before any rule.' })
  requestHeadersBefore: Record<string, string | string[]>
  @Field(() => GraphQLJSON, { description: 'The same after the REQUEST rules: what upstream would get.' }) requestHeadersAfter: Record<string, string | string[]>
  @Field(() => GraphQLJSON, { nullable: true, description: 'Upstream\'s response headers that go to the client, before any rule; null when there was no response.' })
  responseHeadersBefore: Record<string, string | string[]> | null
  @Field(() => GraphQLJSON, { nullable: true, description: 'The same after the RESPONSE rules: what the client would get.' }) responseHeadersAfter: Record<string, string | string[]> | null
  @Field(() => [FiredHeaderRule], { description: 'The rules that would fire, in the order applied (REQUEST first).' }) fired: FiredHeaderRule[]
}
