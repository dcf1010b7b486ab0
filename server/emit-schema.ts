import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { printSchema } from 'graphql'
import { buildApiSchema } from './api'

/** Where the committed schema lives: the contract the dashboard and notebooks code against. */
export const SCHEMA_FILE = path.resolve(__dirname, '../schema.graphql')

/** The schema as committed: graphql's printSchema plus a trailing newline. */
export async function printGraphQLSchema(): Promise<string> {
  return `${printSchema(await buildApiSchema())}\n`
}

if (require.main === module) {
  printGraphQLSchema()
    .then((text) => writeFile(SCHEMA_FILE, text))
    .then(() => console.log(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}`))
    .catch((err: unknown) => {
      console.error(err)
      process.exitCode = 1
    })
}
