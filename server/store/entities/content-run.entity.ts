import { Column, Entity, Index, PrimaryColumn } from 'typeorm'

/**
 * Consecutive part ids of request bodies, stored once (see content-runs): a request row lists its
 * runs, so a conversation's rows do not each repeat the ids of its whole history. Retention
 * deletes a run as it deletes a part, once no kept request can have used it.
 */
@Entity({ name: 'content_runs' })
@Index('content_runs_last_used_at_idx', ['lastUsedAt'])
// Finds the runs holding a part, for body search; a GIN index, created by the migration.
@Index('content_runs_content_ids_idx', { synchronize: false })
export class ContentRunEntity {
  /** The content id of the run's ids' 16-byte forms, one after the other (see content-runs). */
  @PrimaryColumn('uuid') id: string
  @Column({ name: 'content_ids', type: 'uuid', array: true }) contentIds: string[]
  /** When a capture last wrote a request using it, to within the reuse window (see known-contents). */
  @Column({ name: 'last_used_at', type: 'timestamptz', default: () => 'now()' }) lastUsedAt: Date
}
