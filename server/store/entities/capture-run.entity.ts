import { Column, Entity, PrimaryColumn } from 'typeorm'

/**
 * One process's run of capture, alive while it keeps `lastSeenAt` fresh. A record still IN_FLIGHT
 * whose run is no longer alive can never be completed by it (the process crashed, or was killed
 * mid-exchange): capture's sweep marks it ABORTED instead of leaving it in flight forever.
 */
@Entity({ name: 'capture_runs' })
export class CaptureRunEntity {
  @PrimaryColumn('uuid') id: string
  @Column({ name: 'started_at', type: 'timestamptz' }) startedAt: Date
  /** The database's clock, so instances with skewed clocks judge liveness alike. */
  @Column({ name: 'last_seen_at', type: 'timestamptz' }) lastSeenAt: Date
}
