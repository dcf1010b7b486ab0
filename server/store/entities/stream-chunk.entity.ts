import { Column, Entity, PrimaryColumn } from 'typeorm'

/** One SSE event of a streamed response with its arrival offset and size; replayable in order. */
@Entity({ name: 'stream_chunks' })
export class StreamChunkEntity {
  @PrimaryColumn({ name: 'request_id', type: 'uuid' }) requestId: string
  /** 0-based order of arrival within the response. */
  @PrimaryColumn('int') seq: number
  /** The SSE `event:` field, null when absent. */
  @Column('text', { nullable: true }) event: string | null
  /** The SSE `data:` payload (multi-line data joined with \n). */
  @Column('text') data: string
  /** Milliseconds since the request started. */
  @Column({ name: 'offset_ms', type: 'double precision' }) offsetMs: number
  /** Bytes of the whole event on the wire, framing included. */
  @Column('int') bytes: number
}
