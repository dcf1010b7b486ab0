import type { MigrationInterface, QueryRunner } from 'typeorm'
import { createDefaultPartition, createWeekPartition, PARTITION_KEY, PARTITION_WEEKS_AHEAD, PARTITION_WEEK_MS, PARTITIONED_TABLES, weekStartOf, type PartitionedTable, type Queryable } from '../partitions'

/** Each partitioned table's primary key before (its name and columns) and after (the partition key added). */
const PRIMARY_KEYS: Record<PartitionedTable, { unpartitioned: { name: string; columns: string[] }; partitioned: { name: string; columns: string[] } }> = {
  requests: { unpartitioned: { name: 'PK_0428f484e96f9e6a55955f29b5f', columns: ['id'] }, partitioned: { name: 'requests_pkey', columns: ['id', PARTITION_KEY] } },
  stream_chunks: { unpartitioned: { name: 'PK_stream_chunks', columns: ['request_id'] }, partitioned: { name: 'stream_chunks_pkey', columns: ['request_id', PARTITION_KEY] } },
}

/** The foreign key that tied a grade to its request, which a partitioned `requests` no longer carries (see up). */
const GRADE_FOREIGN_KEY = `ALTER TABLE "prompt_grades" ADD CONSTRAINT "prompt_grades_request_fkey" FOREIGN KEY ("request_id") REFERENCES "requests"("id") ON DELETE CASCADE`

/**
 * Weeks of existing rows older than this many before the current one get no partition of their
 * own: their rows go to the default partition, so an odd old timestamp cannot make thousands.
 */
const MOST_WEEKS_BACK = 104

/**
 * `requests` and `stream_chunks` partitioned by week on `started_at` (see partitions.ts for the
 * why), `stream_chunks` gaining its request's `started_at` for it. Rows are moved as they are.
 *
 * The swap is generic over the columns, indexes, triggers and row-typed functions a table has, so
 * columns or indexes added by later changes carry over: the new table is made LIKE the old one,
 * and the old indexes, triggers (the usage rollups') and functions taking its row type are
 * re-created from their definitions as PostgreSQL prints them. A primary key must hold the
 * partition key, so it becomes (id, started_at): ids stay unique in practice, being UUIDv7s that
 * a replay writes with the same `started_at`.
 *
 * A foreign key to a partitioned table must name the partition key too, which `prompt_grades`
 * does not hold; and a week's partition could not be dropped while rows of it were referenced.
 * So the grade's foreign key goes, and deleting a request deletes its grade where it deletes its
 * other dependents (queries/delete-requests), as dropping a week does.
 */
export class PartitionRequestsByWeek1797900000000 implements MigrationInterface {
  name = 'PartitionRequestsByWeek1797900000000'

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "prompt_grades" DROP CONSTRAINT IF EXISTS "prompt_grades_request_fkey"`)
    await queryRunner.query(`ALTER TABLE "stream_chunks" ADD "${PARTITION_KEY}" TIMESTAMP WITH TIME ZONE`)
    await queryRunner.query(`UPDATE "stream_chunks" s SET "${PARTITION_KEY}" = r."${PARTITION_KEY}" FROM "requests" r WHERE r."id" = s."request_id"`)
    // Chunks of no request were never read (a request's chunks are read through it).
    await queryRunner.query(`DELETE FROM "stream_chunks" WHERE "${PARTITION_KEY}" IS NULL`)
    await queryRunner.query(`ALTER TABLE "stream_chunks" ALTER COLUMN "${PARTITION_KEY}" SET NOT NULL`)

    const now = new Date()
    const rows = (await queryRunner.query(
      `SELECT DISTINCT date_bin('7 days', "${PARTITION_KEY}", TIMESTAMPTZ '2000-01-03 00:00:00+00') AS week FROM "requests" WHERE "${PARTITION_KEY}" >= $1`,
      [new Date(weekStartOf(now).getTime() - MOST_WEEKS_BACK * PARTITION_WEEK_MS)],
    )) as Array<{ week: Date }>
    const weeks = new Map(rows.map((row) => [row.week.getTime(), row.week]))
    for (let ahead = 0; ahead <= PARTITION_WEEKS_AHEAD; ahead++) {
      const week = new Date(weekStartOf(now).getTime() + ahead * PARTITION_WEEK_MS)
      weeks.set(week.getTime(), week)
    }
    for (const table of PARTITIONED_TABLES) {
      await swapTable(queryRunner, table, PRIMARY_KEYS[table].partitioned, `PARTITION BY RANGE ("${PARTITION_KEY}")`, async () => {
        await createDefaultPartition(queryRunner, table)
        for (const week of weeks.values()) await createWeekPartition(queryRunner, table, week)
      })
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of PARTITIONED_TABLES) await swapTable(queryRunner, table, PRIMARY_KEYS[table].unpartitioned, '', async () => {})
    await queryRunner.query(`ALTER TABLE "stream_chunks" DROP COLUMN "${PARTITION_KEY}"`)
    // Grades of requests gone while there was no key (none, as deletions go through delete-requests).
    await queryRunner.query(`DELETE FROM "prompt_grades" g WHERE NOT EXISTS (SELECT 1 FROM "requests" r WHERE r."id" = g."request_id")`)
    await queryRunner.query(GRADE_FOREIGN_KEY)
  }
}

/**
 * Replaces `table` by a table of the same columns, defaults, checks, storage and compression
 * declared with `layout` (partitioned or not) and primary key `primaryKey`, its rows copied, and
 * its indexes, triggers and row-typed functions re-created. `createPartitions` runs once the new
 * table exists and before the rows are copied.
 */
async function swapTable(db: QueryRunner, table: PartitionedTable, primaryKey: { name: string; columns: string[] }, layout: string, createPartitions: () => Promise<void>): Promise<void> {
  const old = `${table}_before_swap`
  const definitions = await dependentDefinitions(db, table)
  for (const signature of definitions.functionSignatures) await db.query(`DROP FUNCTION ${signature}`)
  await db.query(`ALTER TABLE "${table}" RENAME TO "${old}"`)
  await db.query(
    `CREATE TABLE "${table}" (LIKE "${old}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED INCLUDING IDENTITY INCLUDING STORAGE INCLUDING COMPRESSION INCLUDING COMMENTS, CONSTRAINT "${primaryKey.name}" PRIMARY KEY (${primaryKey.columns.map((column) => `"${column}"`).join(', ')})) ${layout}`,
  )
  await createPartitions()
  await db.query(`INSERT INTO "${table}" SELECT * FROM "${old}"`)
  await db.query(`DROP TABLE "${old}"`)
  for (const statement of [...definitions.functions, ...definitions.indexes, ...definitions.triggers]) await db.query(statement)
}

/**
 * What depends on `table` and must be made again on its successor, as CREATE statements naming it:
 * its indexes (not the primary key's), its own triggers, and the functions taking its row type.
 * An index of a partitioned table prints as `ON ONLY`, which would leave the partitions without it.
 */
async function dependentDefinitions(db: Queryable, table: string): Promise<{ indexes: string[]; triggers: string[]; functions: string[]; functionSignatures: string[] }> {
  const indexes = (await db.query(
    `SELECT pg_get_indexdef(i.indexrelid) AS definition FROM pg_index i WHERE i.indrelid = $1::regclass AND NOT i.indisprimary ORDER BY i.indexrelid`,
    [table],
  )) as Array<{ definition: string }>
  const triggers = (await db.query(`SELECT pg_get_triggerdef(t.oid) AS definition FROM pg_trigger t WHERE t.tgrelid = $1::regclass AND NOT t.tgisinternal ORDER BY t.tgname`, [table])) as Array<{
    definition: string
  }>
  const functions = (await db.query(
    `SELECT pg_get_functiondef(p.oid) AS definition, p.oid::regprocedure::text AS signature FROM pg_proc p
     WHERE (SELECT reltype FROM pg_class WHERE oid = $1::regclass) = ANY(p.proargtypes::oid[]) ORDER BY p.oid`,
    [table],
  )) as Array<{ definition: string; signature: string }>
  return {
    indexes: indexes.map((row) => row.definition.replace(/ ON ONLY /, ' ON ')),
    triggers: triggers.map((row) => row.definition),
    functions: functions.map((row) => row.definition),
    functionSignatures: functions.map((row) => row.signature),
  }
}
