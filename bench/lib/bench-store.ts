import type { DataSource } from 'typeorm'
import { createLogger } from '../../server/logger'
import { openStore } from '../../server/store/data-source'
import { startEmbeddedPostgres } from '../../server/store/embedded/embedded-postgres'

/** A migrated store for the query benchmarks, and how to close it. */
export interface BenchStore {
  dataSource: DataSource
  /** What the figures were measured on, for the report's title. */
  name: string
  close(): Promise<void>
}

/**
 * PostgreSQL at DATABASE_URL, or the embedded database (PGlite in its own process, as the app
 * runs it) in BENCH_EMBEDDED_DIR, kept there between runs so a seed is made once.
 */
export async function openBenchStore(): Promise<BenchStore> {
  const dataDir = process.env.BENCH_EMBEDDED_DIR
  const url = process.env.DATABASE_URL
  if (dataDir) {
    const embedded = await startEmbeddedPostgres({ dataDir, logger: createLogger('warn'), startTimeoutMs: 300_000 })
    const dataSource = await openStore(embedded.url)
    return { dataSource, name: 'PGlite', close: async () => (await dataSource.destroy(), await embedded.stop()) }
  }
  if (!url) throw new Error('DATABASE_URL (PostgreSQL) or BENCH_EMBEDDED_DIR (PGlite) is required')
  const dataSource = await openStore(url)
  return { dataSource, name: 'PostgreSQL', close: () => dataSource.destroy() }
}
