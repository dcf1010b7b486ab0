import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { TestProject } from 'vitest/node' with { 'resolution-mode': 'import' }
import { createLogger } from '../../server/logger'
import { startEmbeddedPostgres } from '../../server/store/embedded/embedded-postgres'

declare module 'vitest' {
  export interface ProvidedContext {
    /** A freshly initialised PGlite data dir that each test database starts from a copy of (PGlite project only). */
    pgliteTemplateDir: string
  }
}

/**
 * Once per project and run: PGlite's initdb takes seconds, so the PGlite project initialises one
 * data dir here and every test file starts from a copy. Also says loudly when the PostgreSQL
 * suite is not running.
 */
export default async function setup(project: TestProject) {
  if (project.config.env.TEST_DB === 'postgres') return
  if (!process.env.TEST_DATABASE_URL) {
    console.warn('\n*** PostgreSQL suite SKIPPED: set TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres) to run the server tests on PostgreSQL too. ***\n')
  }
  const root = mkdtempSync(path.join(os.tmpdir(), 'claudescope-pglite-template-'))
  const templateDir = path.join(root, 'pglite')
  const embedded = await startEmbeddedPostgres({ dataDir: templateDir, logger: createLogger('silent') })
  await embedded.stop()
  project.provide('pgliteTemplateDir', templateDir)
  return () => rmSync(root, { recursive: true, force: true })
}
