import type { DataSource } from 'typeorm'
import type { Logger } from '../logger'
import { REQUESTS_TABLE } from './tables/requests.table'
import { STREAM_CHUNKS_TABLE } from './tables/stream-chunks.table'

/** Anything that runs SQL: a DataSource, an EntityManager, a migration's QueryRunner. */
export interface Queryable {
  query(sql: string, parameters?: unknown[]): Promise<unknown>
}

/**
 * The tables partitioned by time: `requests`, and `stream_chunks` (the largest by far, a
 * response's SSE events) by its request's `started_at`, so a week of both goes as two DROP TABLEs
 * instead of millions of row deletions and the vacuuming after them.
 *
 * Both are range-partitioned on `started_at` by UTC week (Monday 00:00). A week, not a day:
 * a developer's proxy records thousands of requests a day at most, and retention is counted in
 * days (30 is usual), so weekly partitions keep the planner's list short (five or six per table,
 * each a few files in the embedded database) while retention still drops all but the last,
 * partly-old week whole; that one is pruned row by row as before, so nothing outlives the cutoff.
 *
 * Each table also has a DEFAULT partition, so a row outside every partition (a clock far off, a
 * record replayed from the spool after weeks, partitions not yet created) is stored all the same:
 * capture never fails for want of a partition. Partitions are created ahead (PARTITION_WEEKS_AHEAD),
 * so the default stays empty and creating the next one scans nothing; rows found there in a new
 * partition's range are moved into it as it is created.
 */
export const PARTITIONED_TABLES = [REQUESTS_TABLE, STREAM_CHUNKS_TABLE] as const
export type PartitionedTable = (typeof PARTITIONED_TABLES)[number]

/** The column both tables are partitioned on. */
export const PARTITION_KEY = 'started_at'

export const PARTITION_WEEK_MS = 7 * 24 * 60 * 60 * 1000

/**
 * Weeks created after the current one, at start and by every upkeep: two, so a process (or a
 * clock) a week late still writes into a partition of its own, and upkeep that fails for days
 * (the database down) leaves the default partition empty.
 */
export const PARTITION_WEEKS_AHEAD = 2

/**
 * How long partition DDL waits for a lock before giving up until the next upkeep or prune.
 * Creating or dropping a partition takes an exclusive lock on its parent for a moment; waiting
 * behind a long read, it would hold every capture write queued behind it, so it gives up well
 * before capture counts the database as stalled (half a second).
 */
export const PARTITION_LOCK_TIMEOUT_MS = 200

/** SQLSTATE of lock_timeout. */
const LOCK_NOT_AVAILABLE = '55P03'

const DAY_MS = 24 * 60 * 60 * 1000

/** Start of the UTC week (Monday 00:00) holding `at`. 1970-01-01 was a Thursday. */
export function weekStartOf(at: Date): Date {
  const days = Math.floor(at.getTime() / DAY_MS)
  return new Date((days - ((days + 3) % 7)) * DAY_MS)
}

/** `requests_p20261130`: the table, then the week's first day. */
export function partitionName(table: PartitionedTable, weekStart: Date): string {
  return `${table}_p${weekStart.toISOString().slice(0, 10).replaceAll('-', '')}`
}

export function defaultPartitionName(table: PartitionedTable): string {
  return `${table}_default`
}

/** The week a partition of `table` holds, from its name; null for the default partition or a table not ours. */
export function weekOfPartition(table: PartitionedTable, name: string): Date | null {
  const match = new RegExp(`^${table}_p(\\d{4})(\\d{2})(\\d{2})$`).exec(name)
  return match ? new Date(`${match[1]}-${match[2]}-${match[3]}T00:00:00.000Z`) : null
}

/** The weeks of `table`'s partitions, oldest first (the default partition left out). */
export async function partitionWeeks(db: Queryable, table: PartitionedTable): Promise<Date[]> {
  const rows = (await db.query(`SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass`, [table])) as Array<{ name: string }>
  return rows
    .map((row) => weekOfPartition(table, row.name))
    .filter((week): week is Date => week !== null)
    .sort((a, b) => a.getTime() - b.getTime())
}

/** The default partition, which holds rows outside every week created. */
export async function createDefaultPartition(db: Queryable, table: PartitionedTable): Promise<void> {
  await db.query(`CREATE TABLE IF NOT EXISTS "${defaultPartitionName(table)}" PARTITION OF "${table}" DEFAULT`)
}

/**
 * Creates the partition of `table` for the week starting `weekStart` unless it exists, in the
 * caller's transaction. Rows the default partition holds in that week are moved into it: deleted
 * there and inserted again once it exists (so the usage rollups' triggers, which subtract a
 * deleted row and add an inserted one, end where they began).
 */
export async function createWeekPartition(db: Queryable, table: PartitionedTable, weekStart: Date): Promise<boolean> {
  const name = partitionName(table, weekStart)
  const [{ exists }] = (await db.query(`SELECT to_regclass($1) IS NOT NULL AS exists`, [name])) as [{ exists: boolean }]
  if (exists) return false
  const from = weekStart.toISOString()
  const to = new Date(weekStart.getTime() + PARTITION_WEEK_MS).toISOString()
  const stray = `"${defaultPartitionName(table)}" WHERE ${PARTITION_KEY} >= '${from}' AND ${PARTITION_KEY} < '${to}'`
  const [{ strays }] = (await db.query(`SELECT EXISTS (SELECT 1 FROM ${stray}) AS strays`)) as [{ strays: boolean }]
  // Deleted through the parent, whose week has no partition yet: a statement on the default
  // partition by name would not fire the parent's statement-level triggers (the usage rollups').
  if (strays) {
    await db.query(
      `CREATE TEMPORARY TABLE partition_strays AS WITH moved AS (DELETE FROM "${table}" WHERE ${PARTITION_KEY} >= '${from}' AND ${PARTITION_KEY} < '${to}' RETURNING *) SELECT * FROM moved`,
    )
  }
  await db.query(`CREATE TABLE "${name}" PARTITION OF "${table}" FOR VALUES FROM ('${from}') TO ('${to}')`)
  if (strays) {
    await db.query(`INSERT INTO "${table}" SELECT * FROM partition_strays`)
    await db.query(`DROP TABLE partition_strays`)
  }
  return true
}

/** The weeks from the one holding `from` to the one holding `to`, both included. */
export function weeksCovering(from: Date, to: Date): Date[] {
  const weeks: Date[] = []
  for (let week = weekStartOf(from); week <= to; week = new Date(week.getTime() + PARTITION_WEEK_MS)) weeks.push(week)
  return weeks
}

/**
 * Runs `work` in a transaction that waits at most PARTITION_LOCK_TIMEOUT_MS for each lock; false
 * when a lock was not had in time (the work rolled back, to be tried again later).
 */
export async function withShortLocks(dataSource: DataSource, work: (db: Queryable) => Promise<void>): Promise<boolean> {
  try {
    await dataSource.transaction(async (manager) => {
      await manager.query(`SET LOCAL lock_timeout = ${PARTITION_LOCK_TIMEOUT_MS}`)
      await work(manager)
    })
    return true
  } catch (err) {
    if ((err as { code?: unknown }).code === LOCK_NOT_AVAILABLE) return false
    throw err
  }
}

/**
 * Creates the partitions of every partitioned table for the weeks from the one holding `from`
 * through PARTITION_WEEKS_AHEAD weeks after the one holding `to` (the current one, at start and
 * for upkeep), each in its own short transaction. Returns how many it created; one that could not
 * have its lock in time is left for the next call.
 */
export async function ensurePartitions(dataSource: DataSource, from: Date, to: Date = from): Promise<number> {
  let created = 0
  for (const week of weeksCovering(from, new Date(to.getTime() + PARTITION_WEEKS_AHEAD * PARTITION_WEEK_MS))) {
    for (const table of PARTITIONED_TABLES) {
      await withShortLocks(dataSource, async (db) => {
        if (await createWeekPartition(db, table, week)) created++
      })
    }
  }
  return created
}

/** Between two upkeeps: a few a day, so a week ahead is always there however long one fails. */
const UPKEEP_INTERVAL_MS = 6 * 60 * 60 * 1000

export interface PartitionUpkeep {
  stop(): void
}

/**
 * Creates the coming weeks' partitions now (awaited, so capture starts with them) and every few
 * hours after, on the app's clock, which is the one `started_at` is taken from. A failure is
 * logged: rows go to the default partition meanwhile, and the next upkeep moves them.
 */
export async function startPartitionUpkeep(dataSource: DataSource, logger: Logger, intervalMs = UPKEEP_INTERVAL_MS): Promise<PartitionUpkeep> {
  const upkeep = async () => {
    try {
      const created = await ensurePartitions(dataSource, new Date())
      if (created > 0) logger.info({ created }, 'created the partitions of the coming weeks')
    } catch (err) {
      logger.warn({ err }, 'creating the partitions of the coming weeks failed; rows go to the default partition until the next try')
    }
  }
  await upkeep()
  const timer = setInterval(() => void upkeep(), intervalMs).unref()
  return { stop: () => clearInterval(timer) }
}
