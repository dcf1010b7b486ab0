import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { printGraphQLSchema, SCHEMA_FILE } from '../../server/graphql/emit-schema'

describe('schema.graphql', () => {
  it('matches the schema built from the resolvers (otherwise run npm run schema:emit)', async () => {
    const committed = await readFile(SCHEMA_FILE, 'utf8').catch(() => '')
    const built = await printGraphQLSchema()
    expect(committed === built, 'schema.graphql is stale: run npm run schema:emit and commit the result').toBe(true)
  })
})
