import { Column, Entity, Index, PrimaryColumn } from 'typeorm'

/**
 * One header rule: an operator's instruction to remove, set or edit a header sent upstream
 * (REQUEST) or returned to the client (RESPONSE). Rules apply in `position` order; every instance
 * compiles them into its proxy's snapshot when they change.
 */
@Entity({ name: 'header_rules' })
@Index('header_rules_position_idx', ['position'])
export class HeaderRuleEntity {
  @PrimaryColumn('uuid') id: string
  /** 0-based place in the order the rules apply in; unique once a write has committed. */
  @Column('int') position: number
  /** REQUEST or RESPONSE. */
  @Column('text') scope: string
  /** Lower-case header name. */
  @Column('text') header: string
  /** BLOCK, SET or REPLACE. */
  @Column('text') action: string
  /** SET: the value set; REPLACE: what each occurrence of `find` becomes. */
  @Column('text', { nullable: true }) value: string | null
  /** REPLACE: the text replaced, every occurrence. */
  @Column('text', { nullable: true }) find: string | null
  @Column('boolean') enabled: boolean
  /** The rule applies only to paths starting with this. */
  @Column({ name: 'path_prefix', type: 'text', nullable: true }) pathPrefix: string | null
  /** The rule applies only to this model (a trailing `*` matches any rest). */
  @Column('text', { nullable: true }) model: string | null
  @Column('text', { nullable: true }) description: string | null
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date
}
