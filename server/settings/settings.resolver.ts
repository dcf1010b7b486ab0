import { GraphQLJSON } from 'graphql-scalars'
import { Arg, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql'
import type { OperationClient } from '../graphql/graphql-server'
import { DEFAULT_PAGE_SIZE } from '../graphql/page-size'
import type { SettingsAudit, SettingsChangeRecord } from './settings-audit'
import type { SettingsService } from './settings.service'
import { SettingsChange } from './settings.types'

/** What the settings resolvers need of the API context. */
export interface SettingsContext {
  settings: SettingsService
  settingsAudit: SettingsAudit
  client: OperationClient
}

@Resolver()
export class SettingsResolver {
  @Query(() => [SettingsChange], { description: 'Changes of the settings, newest first (first: at most 200), of one section when given.' })
  settingsChanges(
    @Ctx() ctx: SettingsContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE }) first?: number | null,
    @Arg('section', () => String, { nullable: true }) section?: string | null,
  ): Promise<SettingsChangeRecord[]> {
    return ctx.settingsAudit.list(first ?? DEFAULT_PAGE_SIZE, section)
  }

  @Query(() => GraphQLJSON, { description: 'Every persisted setting as one document ({format, version, exportedAt, headerRules, …}), for importSettings.' })
  exportSettings(@Ctx() ctx: SettingsContext): Promise<Record<string, unknown>> {
    return ctx.settings.exportSettings()
  }

  @Mutation(() => [String], {
    description:
      'Replaces the settings sections the document holds (as exportSettings writes it) and leaves the others alone, all or nothing; each section is validated as its own mutations validate it. Returns the sections replaced.',
  })
  importSettings(@Ctx() ctx: SettingsContext, @Arg('document', () => GraphQLJSON) document: unknown): Promise<string[]> {
    return ctx.settings.importSettings(document, ctx.client)
  }
}
