import { Column, Entity, Index, PrimaryColumn } from 'typeorm'

/**
 * A part of request bodies stored once: a system block, a tool definition or a message, which
 * Claude Code resends on every turn. Rows reference it by id (see body-layout); retention deletes
 * it once no kept request can have used it.
 */
@Entity({ name: 'contents' })
@Index('contents_last_used_at_idx', ['lastUsedAt'])
// GIN index on the search keys, created by the migration.
@Index('contents_search_keys_idx', { synchronize: false })
export class ContentEntity {
  /** The first 128 bits of the SHA-256 of the text's UTF-8 bytes (see content-id). */
  @PrimaryColumn('uuid') id: string
  @Column('text') text: string
  /** Body search's keys for the text (see search-keys), which its index reads. */
  @Column({ name: 'search_keys', type: 'smallint', array: true, default: () => "'{}'" }) searchKeys: number[]
  /** When a capture last wrote a request using it, to within the reuse window (see known-contents). */
  @Column({ name: 'last_used_at', type: 'timestamptz', default: () => 'now()' }) lastUsedAt: Date
}

/**
 * The content ids of request bodies' parts but their newest messages (see partListOf), stored once
 * for the turns that resend them. Retention deletes a list as it does a content.
 */
@Entity({ name: 'content_lists' })
@Index('content_lists_last_used_at_idx', ['lastUsedAt'])
// GIN index on the ids for body search, created by the migration.
@Index('content_lists_ids_idx', { synchronize: false })
export class ContentListEntity {
  /** The content id of the ids joined with commas. */
  @PrimaryColumn('uuid') id: string
  @Column({ type: 'uuid', array: true }) ids: string[]
  @Column({ name: 'last_used_at', type: 'timestamptz', default: () => 'now()' }) lastUsedAt: Date
}
