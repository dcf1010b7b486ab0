import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MOCK_HEADERS, type RawScript } from '../support/mock-upstream'
import { expectHealthy, expectNoBare5xx, expectRecordedExactlyOnce, fuzzParameters, MemorySamples, useFuzzedApp, FUZZ_SEED, FUZZ_TEST_TIMEOUT_MS } from './fuzz-support'

/** 260 runs of about 4 exchanges: about 1,000 hostile upstream answers. */
const RUNS = 260

const message = { id: 'msg_01', type: 'message', role: 'assistant', model: 'm', content: [], stop_reason: null, usage: { input_tokens: 3, output_tokens: 1 } }

/** SSE events, well-formed and not: the parts a hostile upstream stream is cut from. */
const sseEvent = fc.oneof(
  fc.constantFrom(
    `event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message })}\n\n`,
    'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hé𝄞"}}\n\n',
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":7,"delta":{"type":"input_json_delta","partial_json":"{\\"a"}}\n\n',
    'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":99999999999999999999}}\n\n',
    'event: message_stop\ndata: {"type":"message_stop"}\n\n',
    'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
    'event: ping\ndata: {"type": "ping"}\n\n',
    'event: message_start\ndata: {"type":"message_start","message":null}\n\n',
    'event: message_delta\ndata: {"type":"message_delta","usage":"many"}\n\n',
    'event: content_block_delta\ndata: {not json\n\n',
    'event: surprise\ndata: {"type":"surprise"}\n\n',
    'data: no event name\n\n',
    ': a comment\n\n',
    'retry: 10\nid: 7\n\n',
    'event: content_block_delta\r\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"crlf"}}\r\n\r\n',
    'event: content_block_delta\rdata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"cr"}}\r\r',
    'event: content_block_delta\ndata: {"type":"content_block_delta",\ndata: "index":0}\n\n',
    'event: message_stop\ndata: {"type":"message_stop"}',
    '\n\n\n\n',
    'event:\ndata:\n\n',
    '\u0000\u0000\n\n',
  ),
  fc.string({ unit: 'binary', maxLength: 60 }).map((text) => `data: ${text}\n\n`),
  fc.integer({ min: 1, max: 40_000 }).map((size) => `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"${'x'.repeat(size)}"}}\n\n`),
)

/** A body cut at random points into writes. */
const chunked = (body: Buffer) => fc.array(fc.nat({ max: body.length }), { maxLength: 6 }).map((cuts) => {
  const points = [...new Set([0, ...cuts.sort((a, b) => a - b), body.length])]
  return points.slice(1).map((end, i) => body.subarray(points[i], end))
})

interface HostileAnswer {
  headers: Record<string, string | null>
  chunks: Buffer[]
  end: 'finish' | 'reset'
}

const sseAnswer: fc.Arbitrary<HostileAnswer> = fc
  .tuple(fc.array(sseEvent, { maxLength: 12 }), fc.constantFrom('text/event-stream', 'text/event-stream; charset=utf-8', 'application/json', 'text/plain'), fc.constantFrom<'finish' | 'reset'>('finish', 'finish', 'reset'))
  .chain(([events, contentType, end]) => chunked(Buffer.from(events.join(''))).map((chunks) => ({ headers: { 'content-type': contentType }, chunks, end })))

const compress = { gzip: gzipSync, 'x-gzip': gzipSync, deflate: deflateSync, br: brotliCompressSync } as const

/** A compressed body, SSE or JSON, intact, truncated, corrupted or not compressed at all, under a content-encoding. */
const compressedAnswer: fc.Arbitrary<HostileAnswer> = fc
  .record({
    encoding: fc.constantFrom('gzip', 'x-gzip', 'deflate', 'br'),
    label: fc.constantFrom('gzip', 'deflate', 'br', 'GZIP', ' br ', 'gzip, br', 'zstd', 'identity'),
    isSse: fc.boolean(),
    events: fc.array(sseEvent, { maxLength: 8 }),
    damage: fc.oneof(fc.constant({ kind: 'none' as const }), fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }), fc.record({ kind: fc.constant('flip' as const), at: fc.nat() }), fc.constant({ kind: 'plain' as const })),
    end: fc.constantFrom<'finish' | 'reset'>('finish', 'reset'),
  })
  .chain((r) => {
    const text = r.isSse ? r.events.join('') : JSON.stringify({ ...message, content: [{ type: 'text', text: r.events.join('') }] })
    let body = r.damage.kind === 'plain' ? Buffer.from(text) : Buffer.from(compress[r.encoding as keyof typeof compress](Buffer.from(text)))
    if (r.damage.kind === 'truncate') body = body.subarray(0, r.damage.at % (body.length + 1))
    if (r.damage.kind === 'flip' && body.length > 0) {
      body = Buffer.from(body)
      body[r.damage.at % body.length] ^= 0xff
    }
    const headers = { 'content-type': r.isSse ? 'text/event-stream' : 'application/json', 'content-encoding': r.label }
    return chunked(body).map((chunks) => ({ headers, chunks, end: r.end }))
  })

describe('fuzzing the proxy and capture with a hostile upstream', () => {
  const app = useFuzzedApp()

  it('relays malformed SSE and broken compressed bodies without crashing, a bare 5xx or growing memory, and records each exchange exactly once', async () => {
    const markerPrefix = `fuzz-upstream-${FUZZ_SEED}-n`
    const sent = new Map<string, string>()
    const memory = new MemorySamples()
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(sseAnswer, compressedAnswer), { minLength: 3, maxLength: 5 }), async (batch) => {
        await Promise.all(
          batch.map(async (answer) => {
            const marker = `${markerPrefix}${sent.size}`
            const script: RawScript & { marker: string; stream: boolean } = { marker, stream: true, chunks: answer.chunks.map((c) => c.toString('base64')), end: answer.end }
            const body = JSON.stringify(script)
            sent.set(marker, body)
            const response = await app.pool.request({
              path: '/v1/messages',
              method: 'POST',
              headers: { 'content-type': 'application/json', [MOCK_HEADERS.scenario]: 'raw', [MOCK_HEADERS.responseHeaders]: JSON.stringify(answer.headers) },
              body,
              signal: AbortSignal.timeout(10_000),
            })
            let text = ''
            try {
              text = await response.body.text()
            } catch (error) {
              // A reset upstream may cut the client's response too; only a hang is a failure.
              if ((error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError') throw error
            }
            expectNoBare5xx({ status: response.statusCode, contentType: String(response.headers['content-type']), body: text, isRelayed: false, isHead: false }, true, marker)
          }),
        )
        memory.sample()
      }),
      fuzzParameters(RUNS),
    )
    expect(sent.size).toBeGreaterThanOrEqual(RUNS * 3)
    await expectHealthy(app.url)
    expect(app.failures).toEqual([])
    await expectRecordedExactlyOnce(app.url, markerPrefix, sent)
    memory.expectBounded()
  }, FUZZ_TEST_TIMEOUT_MS)
})
