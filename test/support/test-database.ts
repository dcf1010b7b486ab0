import { randomBytes } from 'node:crypto'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Client } from 'pg'
import type { DataSource } from 'typeorm'
import { afterAll, beforeAll, inject } from 'vitest'
import { createLogger } from '../../server/logger'
import { openStore } from '../../server/store/data-source'
import { startEmbeddedPostgres } from '../../server/store/embedded/embedded-postgres'

export interface TestDatabase {
  /** Connection URL of an empty database (`openStore` migrates it). */
  url: string
  /** The embedded database's process (PGlite only), e.g. to freeze it with SIGSTOP. */
  pid?: number
  /** Stops and deletes it. */
  drop(): Promise<void>
}

/**
 * A fresh, empty database for one test file, on the backend of the running vitest project:
 * `TEST_DB=postgres` creates a database on TEST_DATABASE_URL's server; otherwise an embedded PGlite
 * process starts from a copy of the run's template data dir.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  return process.env.TEST_DB === 'postgres' ? createPostgresDatabase() : createPgliteDatabase()
}

/** A migrated store on a fresh test database, opened before the file's tests and dropped after them. */
export function useMigratedStore(): { readonly dataSource: DataSource } {
  let database: TestDatabase | undefined
  let dataSource: DataSource | undefined
  beforeAll(async () => {
    database = await createTestDatabase()
    dataSource = await openStore(database.url)
  })
  afterAll(async () => {
    await dataSource?.destroy()
    await database?.drop()
  })
  return {
    get dataSource() {
      if (dataSource === undefined) throw new Error('the store opens in beforeAll: use it inside tests')
      return dataSource
    },
  }
}

async function createPostgresDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env.TEST_DATABASE_URL
  if (!adminUrl) throw new Error('TEST_DB=postgres needs TEST_DATABASE_URL')
  const name = `claudescope_test_${randomBytes(6).toString('hex')}`
  const admin = async (sql: string) => {
    const client = new Client({ connectionString: adminUrl })
    await client.connect()
    try {
      await client.query(sql)
    } finally {
      await client.end()
    }
  }
  await admin(`CREATE DATABASE ${name}`)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) }
}

async function createPgliteDatabase(): Promise<TestDatabase> {
  const templateDir = inject('pgliteTemplateDir')
  if (!templateDir) throw new Error('No PGlite template: test/support/global-setup.ts provides it to the server:pglite project only')
  const root = mkdtempSync(path.join(os.tmpdir(), 'claudescope-test-db-'))
  const dataDir = path.join(root, 'pglite')
  cpSync(templateDir, dataDir, { recursive: true })
  let embedded
  try {
    embedded = await startEmbeddedPostgres({ dataDir, logger: createLogger('silent') })
  } catch (err) {
    rmSync(root, { recursive: true, force: true })
    throw err
  }
  return {
    url: embedded.url,
    pid: embedded.pid,
    async drop() {
      await embedded.stop()
      rmSync(root, { recursive: true, force: true })
    },
  }
}

/** Undoes the applied migrations, latest first, until `name` is no longer among them. */
export async function undoMigrationsThrough(dataSource: DataSource, name: string): Promise<void> {
  for (;;) {
    const applied = (await dataSource.query(`SELECT name FROM migrations`)) as Array<{ name: string }>
    if (!applied.some((migration) => migration.name === name)) return
    await dataSource.undoLastMigration({ transaction: 'each' })
  }
}
