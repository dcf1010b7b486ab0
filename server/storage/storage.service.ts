import type { DataSource } from 'typeorm'
import type { Storage, TableStorage } from './storage.types'

export interface StorageOptions {
  /**
   * Tables whose heap (TOAST and indexes left out) is at most this are counted row by row: scanning
   * a few MiB takes milliseconds, even on the embedded database, where it holds the one session.
   * Larger ones get the planner's estimate. @default 8 MiB
   */
  exactCountMaxHeapBytes?: number
}

interface TableRow {
  name: string
  totalBytes: number
  indexBytes: number
  heapBytes: number
  /** The planner's way: rows per page at the last ANALYZE times the pages now; null before any ANALYZE. */
  estimatedRows: number | null
}

/**
 * Each table as one, a partitioned table (requests, stream chunks) with its partitions summed: a
 * week's partition is storage detail, not a table of the product. The estimate sums those of the
 * partitions analyzed.
 */
const TABLES_SQL = `
  SELECT t.relname AS "name",
         sum(pg_total_relation_size(l.oid))::float8 AS "totalBytes",
         sum(pg_indexes_size(l.oid))::float8 AS "indexBytes",
         sum(pg_relation_size(l.oid))::float8 AS "heapBytes",
         sum(CASE WHEN l.reltuples < 0 OR l.relpages = 0 THEN NULL
              ELSE l.reltuples / l.relpages * (pg_relation_size(l.oid) / current_setting('block_size')::float8)
         END) AS "estimatedRows"
  FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace
  CROSS JOIN LATERAL (SELECT relid FROM pg_partition_tree(t.oid) WHERE t.relkind = 'p' AND isleaf UNION ALL SELECT t.oid WHERE t.relkind = 'r') leaf
  JOIN pg_class l ON l.oid = leaf.relid
  WHERE n.nspname = 'public' AND t.relkind IN ('r', 'p') AND NOT t.relispartition
  GROUP BY t.relname
  ORDER BY t.relname`

const quoteIdentifier = (name: string) => `"${name.replace(/"/g, '""')}"`

/** Reads the space the database takes, from PostgreSQL's own size functions (PGlite has them too). */
export class StorageService {
  readonly #dataSource: DataSource
  readonly #exactCountMaxHeapBytes: number

  constructor(dataSource: DataSource, options: StorageOptions = {}) {
    this.#dataSource = dataSource
    this.#exactCountMaxHeapBytes = options.exactCountMaxHeapBytes ?? 8 * 1024 * 1024
  }

  async read(): Promise<Storage> {
    const [database] = (await this.#dataSource.query('SELECT pg_database_size(current_database())::float8 AS "bytes"')) as { bytes: number }[]
    const rows = (await this.#dataSource.query(TABLES_SQL)) as TableRow[]
    const tables: TableStorage[] = []
    for (const row of rows) tables.push(await this.#withRows(row))
    return { databaseBytes: database!.bytes, tables }
  }

  /** A large table that was never analyzed has no estimate: it is counted all the same. */
  async #withRows({ heapBytes, estimatedRows, ...sizes }: TableRow): Promise<TableStorage> {
    if (heapBytes > this.#exactCountMaxHeapBytes && estimatedRows !== null) {
      return { ...sizes, rows: Math.round(estimatedRows), rowsExact: false }
    }
    const [counted] = (await this.#dataSource.query(`SELECT count(*)::float8 AS "rows" FROM public.${quoteIdentifier(sizes.name)}`)) as { rows: number }[]
    return { ...sizes, rows: counted!.rows, rowsExact: true }
  }
}
