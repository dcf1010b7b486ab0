import { Column, Entity, PrimaryColumn } from 'typeorm'

/**
 * The SSE events of one streamed response, in arrival order (an event's seq is its index), with
 * each one's arrival offset and size: replayable in order. One row per response, its events in
 * arrays: a stream of hundreds of small events costs one row and one index entry, and its texts
 * compress together. Partitioned by week with `requests` (see partitions.ts).
 */
@Entity({ name: 'stream_chunks' })
export class StreamChunkEntity {
  @PrimaryColumn({ name: 'request_id', type: 'uuid', primaryKeyConstraintName: 'stream_chunks_pkey' }) requestId: string
  /** Its request's `started_at`: the partition key (see partitions.ts), hence in the primary key. */
  @PrimaryColumn({ name: 'started_at', type: 'timestamptz', primaryKeyConstraintName: 'stream_chunks_pkey' }) startedAt: Date
  /** Each event's SSE `event:` field, null where absent. */
  @Column('text', { array: true }) events: Array<string | null>
  /** Each event's SSE `data:` payload (multi-line data joined with \n). */
  @Column('text', { array: true }) data: string[]
  /** Milliseconds from the request's start to each event's arrival. */
  @Column({ name: 'offsets_ms', type: 'double precision', array: true }) offsetsMs: number[]
  /** Bytes of each whole event on the wire, framing included. */
  @Column('int', { array: true }) bytes: number[]
}
