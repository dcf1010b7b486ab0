import 'reflect-metadata'
import { DataSource } from 'typeorm'
import type { Logger } from '../logger'
import { entities } from './entities'
import { migrations } from './migrations'
import { StoreError } from './store-errors'
import { StoreLogger } from './typeorm-logger'

export interface StoreOptions {
  /** Most pooled connections (pg `max`). PGlite serves at most 16, so stay below. @default 10 */
  poolSize?: number
  /** Milliseconds to wait for a new connection before it counts as unreachable. @default 10_000 */
  connectTimeoutMs?: number
  /** Where migrations, pool errors and (at trace) queries are logged. Unset: TypeORM's console output, as the CLI wants. */
  logger?: Logger
}

/**
 * The one TypeORM DataSource shape for the app, the tests and the TypeORM CLI: plain `pg`, so
 * PostgreSQL and the embedded PGlite (behind its socket server) run the same SQL and migrations.
 * Not initialized; `openStore` is what the app calls.
 */
export function createDataSource(url: string, options: StoreOptions = {}): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    applicationName: 'claudescope',
    entities,
    migrations,
    // gen_random_uuid() is core since PostgreSQL 13 and exists in PGlite; uuid-ossp does not.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    synchronize: false,
    migrationsRun: false,
    poolSize: options.poolSize ?? 10,
    connectTimeoutMS: options.connectTimeoutMs ?? 10_000,
    ...(options.logger && { logger: new StoreLogger(options.logger) }),
  })
}

/**
 * Connects and applies pending migrations. Fails with a StoreError: `STORE_UNREACHABLE` when
 * nothing answers at the URL's host:port, `STORE_REJECTED` when the server refuses the login or
 * database, `STORE_MIGRATION_FAILED` when a migration fails (the pool is closed in every case).
 */
export async function openStore(url: string, options: StoreOptions = {}): Promise<DataSource> {
  const dataSource = createDataSource(url, options)
  try {
    await dataSource.initialize()
  } catch (err) {
    throw connectError(url, err)
  }
  try {
    await migrateAlone(dataSource)
  } catch (err) {
    await dataSource.destroy()
    throw new StoreError('STORE_MIGRATION_FAILED', `Database migration failed at ${describeTarget(url)}: ${messageOf(err)}`, { cause: err })
  }
  return dataSource
}

/** The advisory lock key every instance migrates under (any constant; this one spells "csmigr"). */
const MIGRATION_LOCK_KEY = 0x63736d69677200n

/**
 * Runs the pending migrations holding a session-level advisory lock, so instances starting
 * together on one database migrate one after the other: the later ones find nothing left to do,
 * where they would otherwise each create the same tables and all but one fail.
 */
async function migrateAlone(dataSource: DataSource): Promise<void> {
  const lock = dataSource.createQueryRunner()
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()])
    await dataSource.runMigrations({ transaction: 'each' })
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]).catch(() => {})
    await lock.release()
  }
}

/** host:port/database (or the socket directory) of a connection URL, never its password. */
function describeTarget(url: string): string {
  try {
    const parsed = new URL(url)
    const socketDir = parsed.searchParams.get('host')
    if (socketDir) return `the socket in ${socketDir}${parsed.pathname}`
    return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}${parsed.pathname}`
  } catch {
    return 'an unparseable DATABASE_URL'
  }
}

function connectError(url: string, err: unknown): StoreError {
  const target = describeTarget(url)
  // Errors the server itself sends carry a severity; anything else failed before a server answered.
  if (typeof err === 'object' && err !== null && 'severity' in err) {
    return new StoreError('STORE_REJECTED', `PostgreSQL at ${target} refused the connection: ${messageOf(err)}. Check DATABASE_URL.`, { cause: err })
  }
  return new StoreError(
    'STORE_UNREACHABLE',
    `Cannot reach PostgreSQL at ${target} (${messageOf(err)}). Check DATABASE_URL, or unset it to use the embedded database.`,
    { cause: err },
  )
}

function messageOf(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return messageOf(err.errors[0])
  if (err instanceof Error) return err.message || ('code' in err ? String(err.code) : err.name)
  return String(err)
}
