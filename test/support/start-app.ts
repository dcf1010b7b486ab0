import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { startApp as startServerApp, type App } from '../../server/app'
import { loadConfig } from '../../server/config'
import { createLogger } from '../../server/logger'
import { startMockUpstream, type MockUpstream } from './mock-upstream'
import { createTestDatabase } from './test-database'

export interface TestApp {
  /** Base URL of the app: proxy at /v1, GraphQL at /graphql, dashboard at /. */
  url: string
  /** The mock Anthropic API the app forwards to. */
  upstream: MockUpstream
  upstreamUrl: string
  app: App
  close(): Promise<void>
}

export interface StartAppOptions {
  /** Extra environment options (names as in `claudescope --help`). */
  env?: Record<string, string>
  /** Forward to this URL instead of a fresh mock upstream. */
  forwardUrl?: string
  /** Use this database (left in place at close) instead of a fresh test database. */
  databaseUrl?: string
}

/**
 * A whole Claudescope on a fresh test database (PGlite or PostgreSQL, per the vitest project) with
 * a fresh mock upstream and its own DATA_DIR; `close()` tears everything down.
 */
export async function startApp(options: StartAppOptions = {}): Promise<TestApp> {
  const database = options.databaseUrl ? { url: options.databaseUrl, drop: async () => {} } : await createTestDatabase()
  const upstream = await startMockUpstream()
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'claudescope-test-'))
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    DATABASE_URL: database.url,
    ANTHROPIC_FORWARD_URL: options.forwardUrl ?? upstream.url,
    ...options.env,
  })
  const app = await startServerApp(config, createLogger(process.env.LOG_LEVEL ?? 'silent'))
  return {
    url: app.url,
    upstream,
    upstreamUrl: upstream.url,
    app,
    async close() {
      await app.close()
      await upstream.close()
      await database.drop()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}
