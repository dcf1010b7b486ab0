import { performance } from 'node:perf_hooks'
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { DataSource } from 'typeorm'
import { BatchSizer } from './batch-sizer'
import { CONTENT_REUSE_WINDOW_MS } from './contents/known-contents'
import { deleteRequests, dependentDeletions, REQUEST_TABLES, type RequestKey } from './queries/delete-requests'
import { partitionName, partitionWeeks, PARTITION_WEEK_MS, PARTITIONED_TABLES, withShortLocks } from './partitions'
import { CONTENT_LAST_USED_AT, CONTENT_LISTS_TABLE, CONTENTS_TABLE } from './tables/contents.table'
import { CLAUDE_CODE_EVENTS_TABLE, CLAUDE_CODE_METRIC_POINTS_TABLE } from './tables/claude-code-telemetry.table'
import { REQUESTS_TABLE } from './tables/requests.table'
import { USAGE_HOUR_ROLLUPS_TABLE, USAGE_ROLLUPS_TABLE } from './tables/usage-rollups.table'

/** Most rows one statement deletes unless told otherwise. */
const MAX_BATCH_SIZE = 500

/**
 * How long one statement should take. On the embedded database every other query waits for it
 * (PGlite runs one statement at a time), so this is what a prune adds to a capture write at worst,
 * far below the half second after which capture counts the database as stalled.
 */
const STATEMENT_TARGET_MS = 50

/**
 * How much longer than the reuse window before the cutoff a content must have gone unused. A
 * writer counts the window from when its write returned, while the database stamped the part when
 * the statement began; and a request's `started_at` is the app's clock, `last_used_at` the
 * database's. An hour covers a write that slow and clocks that far apart, at the price of keeping
 * an hour more of unused parts.
 */
const CLOCK_MARGIN_MS = 60 * 60 * 1000

/** What a prune deleted. */
export interface PruneCounts {
  requestsDeleted: number
  /** Body parts, and the lists naming most of a body's parts (see partListOf). */
  contentsDeleted: number
  /** Claude Code's own events and metric points received over OTLP. */
  telemetryDeleted: number
}

export interface PruneResult extends PruneCounts {
  /** Requests that started before this instant went: the database's now() less the period. */
  cutoff: Date
}

export interface PruneOptions {
  /**
   * Most rows one statement deletes. Below it, each batch is sized to take about
   * `statementTargetMs` (see BatchSizer), as a request may have thousands of stream chunks or none.
   * @default 500
   */
  maxBatchSize?: number
  /** How long one statement should take, in milliseconds, so none holds up capture's writes or the API's reads for long. @default 50 */
  statementTargetMs?: number
  /** Awaited between two statements, so other work reaches the database in between. @default one turn of the event loop */
  pause?: () => Promise<void>
  /** Aborted, the prune stops before its next statement and resolves with what it deleted so far. */
  signal?: AbortSignal
  /** Told what each statement deleted, as it goes (a prune that fails later has still deleted that much). */
  onBatch?(deleted: PruneCounts): void
}

/** Deletes old records for retention. */
export interface RetentionStore {
  /**
   * Deletes the requests that started more than `days` days before the database's now(), whatever
   * their status, with their stream chunks; then the contents (body parts) and lists of them no
   * remaining request can use. Each statement deletes a batch and commits on its own; then each table deleted from
   * is vacuumed.
   *
   * A week of requests wholly before the cutoff goes as its partitions (see partitions.ts): the
   * rows keyed by its requests' ids in unpartitioned tables are deleted a batch at a time, then
   * the week's partitions are dropped, with its usage rollups, in one short transaction. A week
   * whose drop cannot have its locks at once (a long read holds the tables) is deleted row by row
   * with the partly-old week and any old rows of the default partition.
   *
   * A content goes when its `last_used_at` is older than the cutoff less the reuse window (and a
   * margin, CLOCK_MARGIN_MS). Every write of a request stamps `last_used_at` on the parts it sends,
   * and a writer leaves out only parts it sent within the window (see known-contents): so a part a
   * kept request uses, having started after the cutoff, was stamped after the cutoff less the
   * window. That holds without reading the requests' id arrays, and while capture writes. A list
   * of part ids (see partListOf) is stamped, and goes, the same way.
   */
  prune(days: number, options?: PruneOptions): Promise<PruneResult>
}

export function createRetentionStore(dataSource: DataSource): RetentionStore {
  return {
    async prune(days, options = {}) {
      const sizing = { maxSize: options.maxBatchSize ?? MAX_BATCH_SIZE, targetMs: options.statementTargetMs ?? STATEMENT_TARGET_MS }
      const pause = options.pause ?? (() => nextTurn())
      const [{ cutoff }] = (await dataSource.query(`SELECT now() - make_interval(days => $1) AS cutoff`, [days])) as [{ cutoff: Date }]
      const unusedBefore = new Date(cutoff.getTime() - CONTENT_REUSE_WINDOW_MS - CLOCK_MARGIN_MS)
      const counts: PruneCounts = { requestsDeleted: 0, contentsDeleted: 0, telemetryDeleted: 0 }
      // Requests first: the contents they alone used become deletable with them.
      const phases: Array<{ counter: keyof PruneCounts; tables: readonly string[]; deleteBatch: (size: number) => Promise<number> }> = [
        { counter: 'requestsDeleted', tables: REQUEST_TABLES, deleteBatch: (size) => deleteRequestsStartedBefore(dataSource, cutoff, size) },
        { counter: 'contentsDeleted', tables: [CONTENTS_TABLE], deleteBatch: (size) => deleteUnusedSince(dataSource, CONTENTS_TABLE, unusedBefore, size) },
        { counter: 'contentsDeleted', tables: [CONTENT_LISTS_TABLE], deleteBatch: (size) => deleteUnusedSince(dataSource, CONTENT_LISTS_TABLE, unusedBefore, size) },
        { counter: 'telemetryDeleted', tables: [CLAUDE_CODE_EVENTS_TABLE], deleteBatch: (size) => deleteOlderThan(dataSource, CLAUDE_CODE_EVENTS_TABLE, 'occurred_at', cutoff, size) },
        { counter: 'telemetryDeleted', tables: [CLAUDE_CODE_METRIC_POINTS_TABLE], deleteBatch: (size) => deleteOlderThan(dataSource, CLAUDE_CODE_METRIC_POINTS_TABLE, 'observed_at', cutoff, size) },
      ]
      let isFirstStatement = true
      const next = async () => {
        if (!isFirstStatement) await pause()
        isFirstStatement = false
        return !options.signal?.aborted
      }
      for (const week of await weeksBefore(dataSource, cutoff)) {
        const sizer = new BatchSizer(sizing)
        let after = '00000000-0000-0000-0000-000000000000'
        for (;;) {
          if (!(await next())) return { cutoff, ...counts }
          const size = sizer.size
          const startedAt = performance.now()
          const ids = await deleteDependentsOfWeek(dataSource, week, after, size)
          sizer.took(performance.now() - startedAt)
          if (ids.length < size) break
          after = ids.at(-1)!
        }
        if (!(await next())) return { cutoff, ...counts }
        const dropped = await dropWeek(dataSource, week)
        counts.requestsDeleted += dropped
        options.onBatch?.({ requestsDeleted: dropped, contentsDeleted: 0, telemetryDeleted: 0 })
      }
      const deletedFrom = new Set<(typeof phases)[number]>()
      for (const phase of phases) {
        const { counter, deleteBatch } = phase
        // Rows of each table cost differently: each phase finds its own size.
        const sizer = new BatchSizer(sizing)
        for (;;) {
          if (!(await next())) return { cutoff, ...counts }
          const size = sizer.size
          const startedAt = performance.now()
          const deleted = await deleteBatch(size)
          sizer.took(performance.now() - startedAt)
          counts[counter] += deleted
          if (deleted > 0) deletedFrom.add(phase)
          options.onBatch?.({ requestsDeleted: 0, contentsDeleted: 0, telemetryDeleted: 0, [counter]: deleted })
          if (deleted < size) break
        }
      }
      for (const table of phases.filter((phase) => deletedFrom.has(phase)).flatMap((phase) => phase.tables)) {
        await pause()
        if (options.signal?.aborted) break
        await vacuum(dataSource, table)
      }
      return { cutoff, ...counts }
    },
  }
}

/** The oldest `limit` requests started before `cutoff` (by `requests_started_at_idx`), deleted with their dependents. */
async function deleteRequestsStartedBefore(dataSource: DataSource, cutoff: Date, limit: number): Promise<number> {
  const rows = (await dataSource.query(`SELECT id, started_at AS "startedAt" FROM ${REQUESTS_TABLE} WHERE started_at < $1 ORDER BY started_at, id LIMIT $2`, [cutoff, limit])) as RequestKey[]
  return deleteRequests(dataSource, rows)
}

/** The weeks whose partitions hold only requests started before `cutoff`, oldest first. */
async function weeksBefore(dataSource: DataSource, cutoff: Date): Promise<Date[]> {
  const weeks = new Map<number, Date>()
  for (const table of PARTITIONED_TABLES) for (const week of await partitionWeeks(dataSource, table)) weeks.set(week.getTime(), week)
  return [...weeks.values()].filter((week) => week.getTime() + PARTITION_WEEK_MS <= cutoff.getTime()).sort((a, b) => a.getTime() - b.getTime())
}

/** Deletes the unpartitioned rows of up to `limit` requests of `week` with ids after `after`, in id order; returns their ids. */
async function deleteDependentsOfWeek(dataSource: DataSource, week: Date, after: string, limit: number): Promise<string[]> {
  const rows = (await dataSource.query(
    `WITH batch AS (SELECT id FROM "${partitionName(REQUESTS_TABLE, week)}" WHERE id > $1 ORDER BY id LIMIT $2),
     ids AS (SELECT array_agg(id) AS ids FROM batch),
     ${dependentDeletions('(SELECT ids FROM ids)')}
     SELECT id FROM batch ORDER BY id`,
    [after, limit],
  ).catch(ignoreMissingPartition)) as Array<{ id: string }>
  return rows.map((row) => row.id)
}

/**
 * Drops the partitions of `week`, with the unpartitioned rows of requests written there since
 * their batches were deleted (a record replayed late), and the week's usage rollups: whole 15-minute
 * slots, so exactly what its requests added. Returns how many requests went; none when the locks
 * were not had in time, the week being left to the row-by-row deletions.
 */
async function dropWeek(dataSource: DataSource, week: Date): Promise<number> {
  const requests = `"${partitionName(REQUESTS_TABLE, week)}"`
  let dropped = 0
  const done = await withShortLocks(dataSource, async (db) => {
    const [{ exists }] = (await db.query(`SELECT to_regclass($1) IS NOT NULL AS exists`, [requests])) as [{ exists: boolean }]
    if (exists) {
      await db.query(`LOCK TABLE ${requests} IN ACCESS EXCLUSIVE MODE`)
      const [{ count }] = (await db.query(`WITH ids AS (SELECT array_agg(id) AS ids FROM ${requests}), ${dependentDeletions('(SELECT ids FROM ids)')} SELECT count(*)::int AS count FROM ${requests}`)) as [
        { count: number },
      ]
      dropped = count
    }
    // The parents in the order capture writes them, requests first, so neither waits on the other in a cycle.
    for (const table of PARTITIONED_TABLES) await db.query(`DROP TABLE IF EXISTS "${partitionName(table, week)}"`)
    // A dropped partition fires no trigger: its rollups go by hand. A week is whole hours and slots.
    for (const rollups of [USAGE_ROLLUPS_TABLE, USAGE_HOUR_ROLLUPS_TABLE]) {
      await db.query(`DELETE FROM ${rollups} WHERE slot_start >= $1 AND slot_start < $2`, [week, new Date(week.getTime() + PARTITION_WEEK_MS)])
    }
  })
  return done ? dropped : 0
}

/** A week's partition of requests dropped meanwhile by another prune (another instance) holds nothing left to delete. */
function ignoreMissingPartition(err: unknown): [] {
  if ((err as { code?: unknown }).code === '42P01') return []
  throw err
}

/**
 * Up to `limit` contents (or lists of part ids) last used before `before` (by the table's index on
 * `last_used_at`). The outer condition is checked again on a row a writer refreshed meanwhile (the
 * delete waits for that write, then reads the row's new version), so a part being sent again is
 * kept; one deleted first is inserted again by the write.
 */
async function deleteUnusedSince(dataSource: DataSource, table: typeof CONTENTS_TABLE | typeof CONTENT_LISTS_TABLE, before: Date, limit: number): Promise<number> {
  const lastUsedAt = CONTENT_LAST_USED_AT.name
  const rows = (await dataSource.query(
    `WITH gone AS (
       DELETE FROM ${table}
       WHERE id = ANY(ARRAY(SELECT id FROM ${table} WHERE ${lastUsedAt} < $1 ORDER BY ${lastUsedAt} LIMIT $2)) AND ${lastUsedAt} < $1
       RETURNING 1)
     SELECT count(*)::int AS deleted FROM gone`,
    [before, limit],
  )) as Array<{ deleted: number }>
  return rows[0]!.deleted
}

/** Up to `limit` rows of a telemetry table stamped before `cutoff`, oldest first (by the table's index on that column). */
async function deleteOlderThan(dataSource: DataSource, table: string, column: 'occurred_at' | 'observed_at', cutoff: Date, limit: number): Promise<number> {
  const rows = (await dataSource.query(
    `WITH gone AS (DELETE FROM ${table} WHERE id = ANY(ARRAY(SELECT id FROM ${table} WHERE ${column} < $1 ORDER BY ${column} LIMIT $2)) RETURNING 1)
     SELECT count(*)::int AS deleted FROM gone`,
    [cutoff, limit],
  )) as Array<{ deleted: number }>
  return rows[0]!.deleted
}

/**
 * After deleting, a prune vacuums the tables it deleted from, so new rows take the space freed
 * instead of growing the files: the embedded database has no autovacuum (PGlite runs PostgreSQL
 * single-user), and PostgreSQL's may be off or late. After an hour's deletions, few pages hold dead
 * rows and VACUUM skips the indexes: measured, a few milliseconds on a table of 300 MB.
 */
async function vacuum(dataSource: DataSource, table: string): Promise<void> {
  await dataSource.query(`VACUUM ${table}`)
}
