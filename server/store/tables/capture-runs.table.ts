import type { ColumnDescription } from './column'

export const CAPTURE_RUNS_TABLE = 'capture_runs'

/** A capture run's heartbeat row; written by the store's run statements only, never from a record. */
export interface CaptureRunRow {
  id: string
  startedAt: Date
  /** The database's clock, so instances with skewed clocks judge liveness alike. */
  lastSeenAt: Date
}

export const CAPTURE_RUN_COLUMNS: ReadonlyArray<ColumnDescription<CaptureRunRow>> = (
  [
    ['id', 'uuid', 'id'],
    ['started_at', 'timestamp with time zone', 'startedAt'],
    ['last_seen_at', 'timestamp with time zone', 'lastSeenAt'],
  ] as const
).map(([name, sqlType, property]) => ({ name, sqlType, property, bind: (run: CaptureRunRow) => run[property] }))
