import { GraphQLJSON } from 'graphql-scalars'
import { Field, ID, ObjectType } from 'type-graphql'
import type { SettingsChangeRecord } from './settings-audit'

@ObjectType({ description: 'One change of the settings, as the audit keeps it.' })
export class SettingsChange implements SettingsChangeRecord {
  @Field(() => ID) id: string
  @Field(() => Date) changedAt: Date
  @Field(() => String, { description: 'The settings area, e.g. headerRules.' }) section: string
  @Field(() => String, { description: 'The mutation that made it, e.g. createHeaderRule or importSettings.' }) action: string
  @Field(() => String, { description: 'What changed, in one line.' }) summary: string
  @Field(() => GraphQLJSON, { nullable: true, description: 'The setting before; null where it did not exist.' }) before: unknown
  @Field(() => GraphQLJSON, { nullable: true, description: 'The setting after; null where it no longer exists.' }) after: unknown
  @Field(() => String, { nullable: true, description: 'Address of the API client that asked (the nearest proxy when there is one).' }) clientAddress: string | null
  @Field(() => String, { nullable: true, description: 'User-Agent of the API client that asked.' }) userAgent: string | null
}
