import { readFileSync } from 'node:fs'
import path from 'node:path'
import { buildSchema, parse, print, validate } from 'graphql'
import { describe, expect, it } from 'vitest'
import * as conversationDocuments from '../../client/src/graphql/conversation-documents'
import * as usageDocuments from '../../client/src/graphql/usage-documents'

const schema = buildSchema(readFileSync(path.resolve(import.meta.dirname, '../../schema.graphql'), 'utf8'))

/** Every export that is a GraphQL document (the rest are types, erased). */
const operations = Object.entries({ ...conversationDocuments, ...usageDocuments }).filter(([, value]) => typeof value === 'object' && value !== null && 'kind' in value)

describe('conversation and usage page documents', () => {
  it('exports the documents both pages send', () => {
    expect(operations.map(([name]) => name).sort()).toEqual(['CACHE_WRITE_PRICES', 'CONVERSATIONS_PAGE', 'CONVERSATION_DETAIL', 'CONVERSATION_UPDATED', 'RATE_LIMIT_STATUS', 'RATE_LIMIT_UPDATED', 'USAGE_REPORT'])
  })

  it.each(operations)('%s is valid against the committed schema.graphql', (_name, document) => {
    const errors = validate(schema, parse(print(document as Parameters<typeof print>[0])))
    expect(errors.map((error) => error.message)).toEqual([])
  })
})
