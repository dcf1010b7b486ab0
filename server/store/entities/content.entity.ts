import { Column, Entity, Index, PrimaryColumn } from 'typeorm'

/**
 * A part of request bodies stored once: a system block, a tool definition or a message, which
 * Claude Code resends on every turn. Rows reference it by id (see body-layout); retention deletes
 * it once no kept request can have used it.
 */
@Entity({ name: 'contents' })
@Index('contents_last_used_at_idx', ['lastUsedAt'])
// Trigram index for body search, created by the migration (a GIN operator class TypeORM cannot declare).
@Index('contents_text_trgm_idx', { synchronize: false })
export class ContentEntity {
  /** The first 128 bits of the SHA-256 of the text's UTF-8 bytes (see content-id). */
  @PrimaryColumn('uuid') id: string
  @Column('text') text: string
  /** When a capture last wrote a request using it, to within the reuse window (see known-contents). */
  @Column({ name: 'last_used_at', type: 'timestamptz', default: () => 'now()' }) lastUsedAt: Date
}
