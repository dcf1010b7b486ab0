/**
 * Generators of hostile client input for /v1/* and the rest of the HTTP surface: malformed and
 * truncated JSON, invalid UTF-8, odd encodings, huge and repeated headers, bad framing for raw
 * sockets, random paths and methods.
 */
import fc from 'fast-check'

const WELL_FORMED = JSON.stringify({
  model: 'claude-sonnet-4-5-20250929',
  max_tokens: 64,
  stream: true,
  messages: [{ role: 'user', content: [{ type: 'text', text: 'héllo wörld ✓ 𝄞' }] }],
  tools: [{ name: 't', input_schema: { type: 'object' } }],
})

/** Bytes that are not valid UTF-8: lone continuation bytes, overlong forms, surrogates, truncated sequences. */
const invalidUtf8 = fc.constantFrom(
  [0x80],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xe2, 0x82],
  [0xff, 0xfe],
  [0xf0, 0x9f, 0x98],
)

/** JSON-ish bodies that a parser must refuse or survive. */
export const hostileBody: fc.Arbitrary<Buffer> = fc.oneof(
  // The well-formed body cut anywhere.
  fc.nat({ max: WELL_FORMED.length - 1 }).map((at) => Buffer.from(WELL_FORMED.slice(0, at))),
  // The well-formed body with invalid UTF-8 spliced in.
  fc.tuple(fc.nat({ max: WELL_FORMED.length }), invalidUtf8).map(([at, bad]) =>
    Buffer.concat([Buffer.from(WELL_FORMED.slice(0, at)), Buffer.from(bad), Buffer.from(WELL_FORMED.slice(at))]),
  ),
  // Other encodings of the same text.
  fc.constantFrom('utf16le', 'latin1', 'base64').map((encoding) => Buffer.from(WELL_FORMED, encoding as BufferEncoding)),
  fc.constant(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(WELL_FORMED)])),
  // Repeated and ill-typed top-level members.
  fc
    .tuple(fc.constantFrom('model', 'stream', 'messages', 'max_tokens'), fc.jsonValue({ maxDepth: 3 }), fc.jsonValue({ maxDepth: 3 }))
    .map(([key, a, b]) => Buffer.from(`{"${key}":${JSON.stringify(a)},"${key}":${JSON.stringify(b)},"stream":${JSON.stringify(b)}}`)),
  // Deep nesting, in arrays and objects, as a value of a top-level member.
  fc
    .tuple(fc.integer({ min: 1, max: 20_000 }), fc.boolean())
    .map(([depth, isArray]) => Buffer.from(`{"model":"m","messages":${isArray ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)}}`)),
  // Numbers and escapes at the edges.
  fc.constantFrom(
    '{"model":"\\ud800","max_tokens":1e999999}',
    '{"model":"\\u0000\\u0000","stream":tru}',
    '{"max_tokens":123456789012345678901234567890,"model":-0}',
    '{"model":"a\\',
    '{"model": "a"}garbage',
    '[]',
    'null',
    '"just a string"',
    '{"stream":true}',
    '{"stream":true,"model":{"nested":true}}',
    '\u0000\u0000\u0000',
    '{',
    '',
  ).map((text) => Buffer.from(text)),
  // Random JSON values, and random bytes.
  fc.jsonValue({ maxDepth: 4 }).map((value) => Buffer.from(JSON.stringify(value) ?? 'null')),
  fc.string({ unit: 'binary', maxLength: 200 }).map((text) => Buffer.from(text)),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
)

/** Path segments mixing real ones, dot segments, percent-encodings and odd characters. */
const segment = fc.oneof(
  fc.constantFrom('messages', 'count_tokens', 'models', 'batches', 'files', 'complete', '..', '.', '%2e%2e', '%2E', '%2F', '%00', '%ff', '%', '%zz', '', ';x=1', '~', '%C0%AE', 'é', '!$&\'()*+,'),
  fc.stringMatching(/^[A-Za-z0-9._~-]{1,12}$/),
)

/** A /v1 path (with dot segments, encodings and a query at times); every character is one undici sends. */
export const v1Path: fc.Arbitrary<string> = fc
  .tuple(fc.array(segment, { maxLength: 6 }), fc.option(fc.stringMatching(/^[A-Za-z0-9=&%._~?/-]{0,40}$/), { nil: undefined }))
  .map(([segments, query]) => `/v1/${segments.join('/')}${query === undefined ? '' : `?${query}`}`)
  .map((path) => path.replace(/[^\u0021-\u007e]/g, (c) => encodeURIComponent(c)))

export const method = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'QUERY', 'PROPFIND', 'SEARCH')

/** Header names for undici requests. `expect`, `connection` and `te` are left to the raw sockets: undici refuses some of their values, and its pool then loses the connection slot for good. */
const headerName = fc.oneof(
  fc.constantFrom('content-type', 'anthropic-version', 'anthropic-beta', 'x-api-key', 'authorization', 'accept-encoding', 'user-agent', 'accept', 'x-claudescope-token', 'origin', 'cookie'),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/).filter((name) => !name.startsWith('x-mock')),
)

/** Visible ASCII and Latin-1 (as undici writes them); no CR, LF or NUL, which undici refuses to send. */
const headerValue = fc.oneof(
  fc.string({ maxLength: 60 }).map((value) => value.replace(/[\r\n\0]/g, ' ')),
  fc.constantFrom('application/json', 'application/json; charset=utf-16', 'text/plain', 'multipart/form-data; boundary=x', 'gzip, br', 'close', '2023-06-01', 'Bearer sk-ant-api03-abc', 'trailers', '100-continue', '*'),
  fc.integer({ min: 1024, max: 40 * 1024 }).map((size) => 'h'.repeat(size)),
)

/** Headers as a flat list (repeats kept, including conflicting `content-type`s). */
export const headers: fc.Arbitrary<string[]> = fc
  .array(fc.tuple(headerName, headerValue), { maxLength: 8 })
  .map((pairs) => pairs.flat())

const CRLF = '\r\n'

/** Request heads and bodies that only a raw socket can send: broken framing and broken syntax. */
export function rawRequest(port: number): fc.Arbitrary<Buffer> {
  const host = `Host: 127.0.0.1:${port}`
  const target = fc.oneof(
    v1Path,
    fc.constantFrom('/v1/messages', '/graphql', '/health', '*', `http://127.0.0.1:${port}/v1/messages`, 'http://evil.example/v1/../graphql', '/v1/messages#frag', '/v1/mess ages', '/v1/\u00e9', '//v1//messages', '/./v1/./messages', '/v1/%2e%2e/graphql'),
  )
  const rawMethod = fc.oneof(method, fc.constantFrom('get', 'CONNECT', 'TRACE', 'GE T', 'BREW', ''), fc.stringMatching(/^[A-Z]{1,8}$/))
  const version = fc.constantFrom('HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1x', '')
  const lengthHeader = fc.oneof(
    fc.nat({ max: 400 }).map((n) => `Content-Length: ${n}`),
    fc.constantFrom('Content-Length: -1', 'Content-Length: 1e3', 'Content-Length: 99999999999999999999', 'Content-Length: 5, 6', 'Content-Length: 0x10', 'Content-Length:', 'Transfer-Encoding: chunked', 'Transfer-Encoding: gzip, chunked', 'Transfer-Encoding: chunked\r\nContent-Length: 3', 'Content-Length: 3\r\nContent-Length: 4'),
  )
  const oddHeader = fc.constantFrom(
    'X-No-Colon',
    ' X-Leading-Space: 1',
    'X-Folded: a\r\n b',
    'X-Nul: a\u0000b',
    'X-Bare-LF: a\nX-Other: b',
    'X-Latin: \u00ff\u00fe',
    `X-Huge: ${'x'.repeat(20_000)}`,
    'Host: 127.0.0.1',
    'Host: evil.example',
    'Expect: 100-continue',
    'Connection: keep-alive, Upgrade\r\nUpgrade: websocket',
    'Content-Type: application/json',
  )
  const chunkedBody = fc.constantFrom('5\r\nhello\r\n0\r\n\r\n', 'zz\r\nhello\r\n0\r\n\r\n', '5\r\nhel', 'ffffffffffffffff\r\nx\r\n', '3;ext=1\r\nabc\r\n0\r\nTrailer: x\r\n\r\n', '-1\r\n\r\n')
  return fc
    .record({
      method: rawMethod,
      target,
      version,
      hostFirst: fc.boolean(),
      length: fc.option(lengthHeader, { nil: undefined }),
      odd: fc.array(oddHeader, { maxLength: 3 }),
      body: fc.oneof(hostileBody, chunkedBody.map((text) => Buffer.from(text))),
    })
    .map((r) => {
      const lines = [`${r.method} ${r.target} ${r.version}`.trimEnd(), ...(r.hostFirst ? [host] : []), ...r.odd, ...(r.length ? [r.length] : []), ...(r.hostFirst ? [] : [host])]
      return Buffer.concat([Buffer.from(lines.join(CRLF) + CRLF + CRLF, 'latin1'), r.body])
    })
}
