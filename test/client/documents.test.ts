import { readFileSync } from 'node:fs'
import path from 'node:path'
import { buildSchema, parse, print, validate } from 'graphql'
import { describe, expect, it } from 'vitest'
import * as documents from '../../client/src/graphql/documents'
import * as settingsDocuments from '../../client/src/graphql/settings-documents'

const schema = buildSchema(readFileSync(path.resolve(import.meta.dirname, '../../schema.graphql'), 'utf8'))

/** Every export of a documents module that is a GraphQL document (the rest are types, erased). */
const documentsOf = (module: object) => Object.entries(module).filter(([, value]) => typeof value === 'object' && value !== null && 'kind' in value)
const operations = documentsOf(documents)

describe('client GraphQL documents', () => {
  it('exports the list, detail, timeline, live and capture health documents', () => {
    expect(operations.map(([name]) => name).sort()).toEqual(['CAPTURE_HEALTH', 'LIVE_STATUS', 'REQUESTS_PAGE', 'REQUEST_DETAIL', 'REQUEST_EVENTS', 'REQUEST_TIMELINE', 'STREAM_CHUNKS'])
  })

  it.each([...operations, ...documentsOf(settingsDocuments)])('%s is valid against the committed schema.graphql', (_name, document) => {
    // Re-parse with graphql-js: urql's light parser builds the AST, graphql-js validates it.
    const errors = validate(schema, parse(print(document as Parameters<typeof print>[0])))
    expect(errors.map((error) => error.message)).toEqual([])
  })
})
