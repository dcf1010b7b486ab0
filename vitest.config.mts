import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'

// graphql ships both ESM and CJS; type-graphql and graphql-ws load the CJS build through Node,
// so the server project must resolve `graphql` to the same file or schemas come from two realms.
const graphqlCjs = { find: /^graphql$/, replacement: 'graphql/index.js' }

const serverProject = (name: string, env: Record<string, string>, exclude: string[] = []) => ({
  resolve: { alias: [graphqlCjs] },
  test: {
    name,
    environment: 'node',
    include: ['test/**/*.test.ts'],
    exclude: ['test/client/**', ...exclude],
    globalSetup: ['test/support/global-setup.ts'],
    env,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})

// The server suite runs on embedded PGlite always, and again on PostgreSQL when TEST_DATABASE_URL is set.
// Several instances share one PostgreSQL (an embedded database belongs to one process): that test runs in the PostgreSQL project only.
const projects: any[] = [serverProject('server:pglite', { TEST_DB: 'pglite' }, ['test/e2e/several-instances.test.ts'])]
// The embedded database's own tests, the DATA_DIR modes test, and the resilience tests (they bring their own databases), run once, in the PGlite project.
if (process.env.TEST_DATABASE_URL) projects.push(serverProject('server:postgres', { TEST_DB: 'postgres' }, ['test/store/embedded-postgres.test.ts', 'test/store/pglite-wire-server.test.ts', 'test/files/private-data-dir.test.ts', 'test/resilience/**']))
projects.push({
  plugins: [vue()],
  // DOMPurify cannot run under happy-dom (see the file aliased here); the browser test runs the real one.
  resolve: { alias: [{ find: /^dompurify$/, replacement: fileURLToPath(new URL('test/support/dompurify-passthrough.ts', import.meta.url)) }] },
  test: { name: 'client', environment: 'happy-dom', include: ['test/client/**/*.test.ts'] },
})

export default defineConfig({ test: { projects } })
