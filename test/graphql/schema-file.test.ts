import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { printGraphQLSchema, SCHEMA_FILE } from '../../server/emit-schema'

const root = path.resolve(import.meta.dirname, '../..')

describe('schema.graphql', () => {
  it('matches the schema built from the resolvers (otherwise run npm run schema:emit)', async () => {
    const committed = await readFile(SCHEMA_FILE, 'utf8').catch(() => '')
    const built = await printGraphQLSchema()
    expect(committed === built, 'schema.graphql is stale: run npm run schema:emit and commit the result').toBe(true)
  })

  it("is what the dashboard's typed operations were generated from (otherwise run npm run client:types)", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'claudescope-tada-'))
    try {
      const output = path.join(dir, 'graphql-env.d.ts')
      const cli = path.join(root, 'node_modules/gql.tada/bin/cli.js')
      await promisify(execFile)(process.execPath, [cli, 'generate-output', '--tsconfig', 'client/tsconfig.json', '--output', output], { cwd: root })
      const committed = await readFile(path.join(root, 'client/src/graphql/graphql-env.d.ts'), 'utf8')
      expect(committed === (await readFile(output, 'utf8')), 'client/src/graphql/graphql-env.d.ts is stale: run npm run client:types and commit the result').toBe(true)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
