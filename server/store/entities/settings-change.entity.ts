import { Column, Entity, Index, PrimaryColumn } from 'typeorm'

/**
 * One change of a setting (a header rule created, the rules reordered, settings imported, …): what
 * changed, when, and which client asked. Written in the same transaction as the change itself.
 */
@Entity({ name: 'settings_changes' })
@Index('settings_changes_changed_at_idx', ['changedAt', 'id'])
export class SettingsChangeEntity {
  @PrimaryColumn('uuid') id: string
  @Column({ name: 'changed_at', type: 'timestamptz' }) changedAt: Date
  /** The settings area, e.g. headerRules. */
  @Column('text') section: string
  /** What was done, e.g. createHeaderRule. */
  @Column('text') action: string
  /** One line for people, e.g. `SET x-team on REQUEST`. */
  @Column('text') summary: string
  /** The setting before and after (null where it did not exist). */
  @Column('jsonb', { nullable: true }) before: unknown
  @Column('jsonb', { nullable: true }) after: unknown
  @Column({ name: 'client_address', type: 'text', nullable: true }) clientAddress: string | null
  @Column({ name: 'user_agent', type: 'text', nullable: true }) userAgent: string | null
}
