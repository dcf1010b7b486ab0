import { GraphQLJSON } from 'graphql-scalars'
import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql'
import type { OperationClient } from '../graphql/graphql-server'
import { BODY_FIELD_COST, Cost } from '../graphql/query-cost'
import type { FiredHeaderRuleRecord, RequestRecord } from '../records/request-record'
import { Request } from '../requests/request.types'
import { forwardedRequestHeaders, relayedResponseHeaders, type DryRunOutcome } from './dry-run-header-rules'
import type { HeaderRuleRecord } from './header-rule'
import { FiredHeaderRule, HeaderRule, HeaderRuleInput, HeaderRulesDryRun } from './header-rule.types'
import type { HeaderRulesService } from './header-rules.service'
import type { HeaderRulesDryRunner } from './header-rules-dry-runner'

/** What the header-rule resolvers need of the API context. */
export interface HeaderRulesContext {
  headerRules: HeaderRulesService
  headerRulesDryRun: HeaderRulesDryRunner
  /** Who sent the operation, for the audit. */
  client: OperationClient
}

@Resolver(() => HeaderRule)
export class HeaderRulesResolver {
  @Query(() => [HeaderRule], { description: 'Every header rule, in the order they apply.' })
  headerRules(@Ctx() ctx: HeaderRulesContext): Promise<HeaderRuleRecord[]> {
    return ctx.headerRules.list()
  }

  @Query(() => HeaderRulesDryRun, { description: 'What `rules` (default: the rules in force) would do to the headers of recorded request `requestId`; changes nothing.' })
  dryRunHeaderRules(
    @Ctx() ctx: HeaderRulesContext,
    @Arg('requestId', () => ID) requestId: string,
    @Arg('rules', () => [HeaderRuleInput], { nullable: true }) rules?: HeaderRuleInput[] | null,
  ): Promise<DryRunOutcome> {
    return ctx.headerRulesDryRun.dryRun(rules ?? null, requestId)
  }

  @Mutation(() => HeaderRule, { description: 'Adds a rule at `position` (0-based; default: last). In force from the next request.' })
  createHeaderRule(
    @Ctx() ctx: HeaderRulesContext,
    @Arg('rule', () => HeaderRuleInput) rule: HeaderRuleInput,
    @Arg('position', () => Int, { nullable: true }) position?: number | null,
  ): Promise<HeaderRuleRecord> {
    return ctx.headerRules.create(rule, position, ctx.client)
  }

  @Mutation(() => HeaderRule, { description: 'Replaces what a rule does; it keeps its id and place.' })
  updateHeaderRule(@Ctx() ctx: HeaderRulesContext, @Arg('id', () => ID) id: string, @Arg('rule', () => HeaderRuleInput) rule: HeaderRuleInput): Promise<HeaderRuleRecord> {
    return ctx.headerRules.update(id, rule, ctx.client)
  }

  @Mutation(() => HeaderRule, { description: 'Enables or disables a rule; without `enabled`, flips it.' })
  toggleHeaderRule(@Ctx() ctx: HeaderRulesContext, @Arg('id', () => ID) id: string, @Arg('enabled', () => Boolean, { nullable: true }) enabled?: boolean | null): Promise<HeaderRuleRecord> {
    return ctx.headerRules.toggle(id, enabled, ctx.client)
  }

  @Mutation(() => [HeaderRule], { description: 'Puts the rules in the order of `ids`, which must name every rule exactly once.' })
  reorderHeaderRules(@Ctx() ctx: HeaderRulesContext, @Arg('ids', () => [ID]) ids: string[]): Promise<HeaderRuleRecord[]> {
    return ctx.headerRules.reorder(ids, ctx.client)
  }

  @Mutation(() => HeaderRule, { description: 'Deletes a rule; returns it as it was.' })
  deleteHeaderRule(@Ctx() ctx: HeaderRulesContext, @Arg('id', () => ID) id: string): Promise<HeaderRuleRecord> {
    return ctx.headerRules.delete(id, ctx.client)
  }
}

type Headers = Record<string, string | string[]>
type RecordedHeaders = Pick<RequestRecord, 'requestHeaders' | 'responseHeaders' | 'headerRewrites'>

/** What header rules did to a recorded request, beside its headers as received. */
@Resolver(() => Request)
export class RequestHeaderRulesResolver {
  @FieldResolver(() => [FiredHeaderRule], { description: 'The header rules that fired on this exchange: REQUEST ones in the order applied, then RESPONSE ones.' })
  headerRulesFired(@Root() request: RecordedHeaders): FiredHeaderRuleRecord[] {
    return request.headerRewrites?.fired ?? []
  }

  @Cost(BODY_FIELD_COST)
  @FieldResolver(() => GraphQLJSON, {
    nullable: true,
    description: 'Headers as sent upstream: requestHeaders (as received from the client) less hop-by-hop fields, host and the like, after the REQUEST rules; {} for a request the proxy refused itself. Secrets as key fingerprints.',
  })
  upstreamRequestHeaders(@Root() request: RecordedHeaders): Headers {
    return request.headerRewrites?.upstreamRequestHeaders ?? forwardedRequestHeaders(request.requestHeaders)
  }

  @Cost(BODY_FIELD_COST)
  @FieldResolver(() => GraphQLJSON, {
    nullable: true,
    description: 'Headers as returned to the client: responseHeaders (as received from upstream) less hop-by-hop fields, after the RESPONSE rules. Null before a response.',
  })
  clientResponseHeaders(@Root() request: RecordedHeaders): Headers | null {
    if (request.responseHeaders === null) return null
    return request.headerRewrites?.clientResponseHeaders ?? relayedResponseHeaders(request.responseHeaders)
  }
}
