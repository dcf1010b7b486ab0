import { readFileSync } from 'node:fs'
import path from 'node:path'
import { buildSchema, parse, print, validate } from 'graphql'
import { describe, expect, it } from 'vitest'
import * as documents from '../../client/src/graphql/documents'

const schema = buildSchema(readFileSync(path.resolve(import.meta.dirname, '../../schema.graphql'), 'utf8'))

/** Every export of documents.ts that is a GraphQL document (the rest are types, erased). */
const operations = Object.entries(documents).filter(([, value]) => typeof value === 'object' && value !== null && 'kind' in value)

describe('client GraphQL documents', () => {
  it('exports the list, detail, timeline and live documents', () => {
    expect(operations.map(([name]) => name).sort()).toEqual(['LIVE_STATUS', 'REQUESTS_PAGE', 'REQUEST_DETAIL', 'REQUEST_EVENTS', 'REQUEST_TIMELINE', 'STREAM_CHUNKS'])
  })

  it.each(operations)('%s is valid against the committed schema.graphql', (_name, document) => {
    // Re-parse with graphql-js: urql's light parser builds the AST, graphql-js validates it.
    const errors = validate(schema, parse(print(document as Parameters<typeof print>[0])))
    expect(errors.map((error) => error.message)).toEqual([])
  })
})
