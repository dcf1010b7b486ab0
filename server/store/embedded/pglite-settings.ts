import { PGlite } from '@electric-sql/pglite'
import type { pg_trgm as PgTrgm } from '@electric-sql/pglite/contrib/pg_trgm' with { 'resolution-mode': 'import' }

// The package's contrib entries type only their ESM build, which the `node16` module mode of our
// tsconfig cannot import from CommonJS; Node's require() loads their CommonJS build.
const { pg_trgm } = require('@electric-sql/pglite/contrib/pg_trgm') as { pg_trgm: typeof PgTrgm }

/**
 * PostgreSQL's memory settings inside PGlite, sized for one user's tool instead of a server.
 *
 * PGlite's heap is one WebAssembly memory, which grows and never shrinks: whatever PostgreSQL
 * allocates once stays resident until the process ends. Its shared memory is allocated and
 * written at start, so `shared_buffers` (initdb's 128MB) is resident from the first second: a
 * PGlite process idles at about 290 MB of RSS with 128MB, 165 MB with 16MB. Pages it does not
 * hold are still read from the operating system's file cache, and the bench's capture writes
 * store as fast with 16MB. `wal_buffers` follows it (1/32 of it). `maintenance_work_mem` bounds what an index
 * build or VACUUM takes, once, for good. `work_mem` (4MB, per sort or hash) and `temp_buffers`
 * (8MB, temporary tables, which nothing of ours creates) stay at PostgreSQL's defaults: they are
 * taken only when used.
 *
 * `max_wal_size` and `min_wal_size` bound the write-ahead log a checkpoint leaves behind (the
 * wire server runs one every half minute; single-user PostgreSQL runs none by itself): initdb's
 * 1GB kept up to 1 GB of recycled segments on disk for a database that may hold a few MB.
 *
 * Given on PGlite's command line, these override initdb's postgresql.conf; `SHOW` reports them.
 */
export const EMBEDDED_SETTINGS = {
  shared_buffers: '16MB',
  maintenance_work_mem: '16MB',
  max_wal_size: '64MB',
  min_wal_size: '32MB',
} as const

/** PGlite's own start parameters with EMBEDDED_SETTINGS added, for `PGlite.create({ startParams })`. */
export function embeddedStartParams(): string[] {
  return [...PGlite.defaultStartParams, ...Object.entries(EMBEDDED_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`])]
}

/**
 * Contrib extensions PGlite loads the files of, for `PGlite.create({ extensions })`: the
 * migrations then create them as they do on PostgreSQL (pg_trgm indexes the body search).
 */
export const EMBEDDED_EXTENSIONS = { pg_trgm }
