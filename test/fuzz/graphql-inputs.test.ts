import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { expectHealthy, expectNoBare5xx, fuzzParameters, MemorySamples, useFuzzedApp, FUZZ_TEST_TIMEOUT_MS } from './fuzz-support'

/** 500 runs of about 7 operations: about 3,500 hostile GraphQL requests. */
const RUNS = 500

const FIELDS = ['health', 'requests', 'request', 'nodes', 'edges', 'node', 'id', 'status', 'chunks', 'usage', 'pageInfo', 'totalCount', 'requestBody', '__typename', '__schema', 'types', 'fields', 'name', 'ofType']
const TOKENS = ['{', '}', '(', ')', '[', ']', ':', '$', '@', '...', '!', '=', '|', '&', ',', 'query', 'mutation', 'subscription', 'fragment', 'on', 'true', 'null', '"s"', '"""b"""', '1', '-0.5e9', '#c\n', '\u0000', '\ufeff', ...FIELDS]

/** A string that SQL, LIKE and Unicode handling all find awkward. */
const hostileText = fc.oneof(
  fc.constantFrom("'; DROP TABLE requests; --", '%', '_', '\\', '\\%', "' OR '1'='1", '\u0000', 'a\u0000b', '\ud800', '𝄞', 'İ', 'ß', '\u202e', '$1', ':filterSearch', '*/', '/*', "E'\\x00'", 'x'.repeat(100_000)),
  fc.string({ unit: 'binary', maxLength: 40 }),
)

/** Values of the wrong shape for any variable. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileText,
  fc.constantFrom(-1, 0, 2 ** 31, 2 ** 53 + 1, -(2 ** 63), 1.5, 1e308, true, null, [], {}, [null], { __proto__: 1 }, { constructor: { prototype: 1 } }),
  fc.jsonValue({ maxDepth: 4 }),
  fc.integer({ min: 1, max: 3000 }).map((depth) => JSON.parse('{"a":'.repeat(depth) + '1' + '}'.repeat(depth)) as unknown),
)

const filter = fc.record(
  {
    from: fc.oneof(hostileValue, fc.constantFrom('2024-02-30T00:00:00Z', '9999-12-31T23:59:59Z', '0000-01-01T00:00:00Z', '2024-01-01')),
    to: hostileValue,
    models: fc.oneof(fc.array(hostileText, { maxLength: 3 }), hostileValue),
    statuses: fc.oneof(fc.constantFrom(['COMPLETED'], ['NOPE'], []), hostileValue),
    httpStatuses: fc.oneof(fc.array(fc.integer(), { maxLength: 3 }), hostileValue),
    stream: hostileValue,
    apiKeyFingerprint: hostileText,
    path: hostileText,
    search: hostileText,
    minDurationMs: fc.oneof(fc.double(), hostileValue),
  },
  { requiredKeys: [] },
)

const selection = (depth: number, field: string) => `${`${field} { `.repeat(depth)}id${' }'.repeat(depth)}`

/** Whole documents: random tokens, deep nesting, many aliases, fragment cycles, directives. */
const document = fc.oneof(
  fc.array(fc.constantFrom(...TOKENS), { maxLength: 40 }).map((tokens) => tokens.join(' ')),
  fc.integer({ min: 1, max: 400 }).map((depth) => `{ ${selection(depth, 'requests')} }`),
  fc.integer({ min: 1, max: 300 }).map((depth) => `{ requests { nodes { ${selection(depth, 'chunks')} } } }`),
  fc.integer({ min: 1, max: 2000 }).map((n) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: health { status }`).join(' ')} }`),
  fc.integer({ min: 1, max: 500 }).map((n) => `{ requests(first: 200) { nodes { ${Array.from({ length: n }, (_, i) => `b${i}: requestBody`).join(' ')} } } }`),
  fc.constantFrom(
    'fragment A on Query { ...B } fragment B on Query { ...A } { ...A }',
    'fragment A on Query { ...A } { ...A }',
    'query { ...on Query { ...on Query { health { status } } } }',
    '{ health @skip(if: true) @include(if: false) @deprecated @nope { status } }',
    `{ health ${'@skip(if: false) '.repeat(200)} { status } }`,
    '{ __schema { types { fields { type { ofType { ofType { ofType { ofType { name } } } } } } } } }',
    'query Q($f: RequestFilter) { requests(filter: $f) { totalCount } } query Q { health { status } }',
    'subscription { requestEvents { kind } }',
    'mutation { nothing }',
    '{ request(id: "00000000-0000-0000-0000-000000000000") { id } }',
    '{ request(id: "not-a-uuid\' OR 1=1 --") { id } }',
    '{ requests(first: -1) { totalCount } }',
    '{ requests(first: 2147483647) { totalCount } }',
    '{ requests(after: "////") { totalCount } }',
    '{ requests(after: "eyJ4IjoxfQ==") { totalCount } }',
    '',
    '#',
    '{',
    '"""',
  ),
  fc.string({ unit: 'binary', maxLength: 80 }),
)

/** What server/graphql/errors.ts shows in place of an unexpected exception. */
const MASKED_MESSAGE = 'Internal server error'

const FILTERED_QUERY = 'query($filter: RequestFilter, $first: Int, $after: String) { requests(filter: $filter, first: $first, after: $after) { totalCount nodes { id } } }'

/** One GraphQL request over HTTP: a hostile document, or a real one with hostile variables, by POST or GET. */
const operation = fc.oneof(
  fc.record({ via: fc.constantFrom('POST' as const, 'GET' as const), query: document, variables: fc.option(fc.dictionary(fc.string({ maxLength: 8 }), hostileValue, { maxKeys: 3 }), { nil: undefined }) }),
  fc.record({
    via: fc.constantFrom('POST' as const, 'GET' as const),
    query: fc.constant(FILTERED_QUERY),
    variables: fc.record({ filter: fc.oneof(filter, hostileValue), first: hostileValue, after: hostileValue }, { requiredKeys: ['filter'] }),
  }),
  // Bodies that are not a GraphQL request at all (NaN and Infinity are not JSON).
  fc.record({ via: fc.constant('RAW' as const), query: fc.constantFrom('{"query":NaN}', '{"query":"{ health { status } }","variables":{"x":Infinity}}', '[{"query":"{ health { status } }"}]', '{"query":null}', '{"query":{"a":1}}', 'nul', '{"query":"{health{status}}","extensions":{"persistedQuery":{"version":1,"sha256Hash":"x"}}}', '{"query":"{health{status}}","operationName":7}'), variables: fc.constant(undefined) }),
)

describe('fuzzing GraphQL with hostile documents, variables and filters', () => {
  const app = useFuzzedApp()

  beforeAll(async () => {
    // A few records, so filters and nested fields have rows to work on.
    for (let i = 0; i < 3; i++) {
      const response = await app.pool.request({ path: '/v1/messages', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', max_tokens: 1, stream: i === 0, messages: [{ role: 'user', content: `seed ${i} % _ \\` }] }) })
      await response.body.text()
    }
  })

  it('answers every hostile document, variable and filter with a result or a GraphQL error that has a message, never an unexpected error, and stays up with bounded memory', async () => {
    const memory = new MemorySamples()
    let sent = 0
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 5, maxLength: 9 }), async (batch) => {
        await Promise.all(
          batch.map(async (op) => {
            const request =
              op.via === 'GET'
                ? { method: 'GET' as const, path: `/graphql?${new URLSearchParams({ query: op.query, ...(op.variables ? { variables: JSON.stringify(op.variables) } : {}) })}` }
                : { method: 'POST' as const, path: '/graphql', headers: { 'content-type': 'application/json' }, body: op.via === 'RAW' ? op.query : JSON.stringify({ query: op.query, variables: op.variables }) }
            const response = await app.pool.request({ ...request, headersTimeout: 10_000, bodyTimeout: 10_000, signal: AbortSignal.timeout(10_000) })
            const body = await response.body.text()
            sent++
            const where = `${op.via} /graphql ${JSON.stringify(op).slice(0, 400)}`
            expectNoBare5xx({ status: response.statusCode, contentType: String(response.headers['content-type']), body, isRelayed: false, isHead: false }, false, where)
            // Every answer is GraphQL: data, or errors each with a message; none is the masked
            // "Internal server error" that stands for an exception the server did not expect.
            // Node's own refusals (431 for a URL beyond the header limit) come before GraphQL and carry no body.
            if (!String(response.headers['content-type']).includes('json')) return expect(response.statusCode, where).toBeLessThan(500)
            const json = JSON.parse(body) as { data?: unknown; errors?: { message?: string; extensions?: { code?: string } }[] }
            expect(json.data !== undefined || (json.errors?.length ?? 0) > 0, where).toBe(true)
            for (const error of json.errors ?? []) {
              expect(error.message, where).toBeTruthy()
              expect(error.message, where).not.toBe(MASKED_MESSAGE)
            }
          }),
        )
        memory.sample()
      }),
      fuzzParameters(RUNS),
    )
    expect(sent).toBeGreaterThanOrEqual(RUNS * 5)
    await expectHealthy(app.url)
    expect(app.failures).toEqual([])
    memory.expectBounded()
  }, FUZZ_TEST_TIMEOUT_MS)
})
