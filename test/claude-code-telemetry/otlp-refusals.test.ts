/**
 * What the OTLP receiver refuses or only partly keeps, and why: malformed bodies of either
 * encoding, other media types, browsers, missing tokens; and what it does keep: gzip bodies,
 * metrics, a retried export once, and nothing past retention.
 */
import { randomUUID } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeOtlp } from '../../server/claude-code-telemetry/otlp-protobuf'
import { startApp, type TestApp } from '../support/start-app'

let app: TestApp
beforeAll(async () => {
  app = await startApp()
})
afterAll(() => app.close())

const LOGS = '/otlp/v1/logs'
const METRICS = '/otlp/v1/metrics'

function post(path: string, body: string | Buffer, headers: Record<string, string>, base = app.url): Promise<Response> {
  return fetch(`${base}${path}`, { method: 'POST', headers, body: typeof body === 'string' ? body : new Uint8Array(body) })
}

const json = { 'content-type': 'application/json' }
const string = (value: string) => ({ stringValue: value })

/** An OTLP/JSON logs export of records with these attributes, as an exporter writes it. */
function logsExport(...records: Array<Record<string, string>>): string {
  return JSON.stringify({
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: string('claude-code') }] },
        scopeLogs: [
          {
            scope: { name: 'com.anthropic.claude_code.events' },
            logRecords: records.map((attributes) => ({
              timeUnixNano: '1767225600000000000',
              body: attributes['event.name'] ? string(`claude_code.${attributes['event.name']}`) : string('some other log line'),
              attributes: Object.entries(attributes).map(([key, value]) => ({ key, value: string(value) })),
            })),
          },
        ],
      },
    ],
  })
}

const userPrompt = (sessionId: string, at = '2026-01-01T00:00:00.000Z') => ({ 'event.name': 'user_prompt', 'event.timestamp': at, 'event.sequence': '0', 'session.id': sessionId, 'prompt.id': randomUUID(), prompt_length: '5' })

async function storedEvents(sessionId: string): Promise<number> {
  const [row] = (await app.app.dataSource.query(`SELECT count(*)::int AS n FROM claude_code_events WHERE session_id = $1`, [sessionId])) as [{ n: number }]
  return row.n
}

describe('malformed OTLP', () => {
  it('answers 400 with a protobuf Status naming the message when a protobuf body is not an ExportLogsServiceRequest', async () => {
    const res = await post(LOGS, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]), { 'content-type': 'application/x-protobuf' })
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toBe('application/x-protobuf')
    expect(decodeOtlp('Status', Buffer.from(await res.arrayBuffer()))).toMatchObject({ code: 3, message: expect.stringContaining('ExportLogsServiceRequest') })
  })

  it('answers 400 with a JSON Status naming the wrong field when a JSON body is not an export request', async () => {
    const res = await post(LOGS, JSON.stringify({ resourceLogs: [{ scopeLogs: 'none' }] }), json)
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({ code: 3, message: expect.stringContaining('resourceLogs.0.scopeLogs') })
  })

  it('answers 400 when a JSON body is not JSON at all', async () => {
    const res = await post(METRICS, '{"resourceMetrics": [', json)
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({ code: 3, message: expect.stringContaining('not JSON') })
  })

  it('answers 400 when a body marked gzip is not gzip', async () => {
    const res = await post(LOGS, logsExport(), { ...json, 'content-encoding': 'gzip' })
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({ code: 3, message: expect.stringContaining('gzip') })
  })

  it('answers 400 when an attribute value nests deeper than any event does', async () => {
    const nested = '{"arrayValue":{"values":['.repeat(40) + '{"stringValue":"x"}' + ']}}'.repeat(40)
    const res = await post(LOGS, `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[{"key":"deep","value":${nested}}]}]}]}]}`, json)
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({ code: 3, message: expect.stringContaining('nested deeper') })
  })

  it('answers 415 to a media type OTLP/HTTP does not use', async () => {
    const res = await post(LOGS, logsExport(), { 'content-type': 'text/plain' })
    expect(res.status).toBe(415)
    expect(await res.json()).toEqual({ code: 3, message: expect.stringContaining('application/x-protobuf') })
  })

  it('answers 404 for a signal it does not receive and 405 for another method than POST', async () => {
    expect((await post('/otlp/v1/traces', '{}', json)).status).toBe(404)
    expect((await fetch(`${app.url}${LOGS}`, { method: 'PUT', headers: json, body: '{}' })).status).toBe(405)
  })
})

describe('who may send', () => {
  it('refuses a request a browser made, whatever its body, and stores nothing', async () => {
    const sessionId = randomUUID()
    const fromPage = await post(LOGS, logsExport(userPrompt(sessionId)), { ...json, origin: 'https://evil.example' })
    const noCors = await post(LOGS, logsExport(userPrompt(sessionId)), { 'content-type': 'text/plain', 'sec-fetch-site': 'cross-site' })
    expect([fromPage.status, noCors.status]).toEqual([403, 403])
    expect(await storedEvents(sessionId)).toBe(0)
  })

  it('asks for DASHBOARD_TOKEN when one is set, and takes the export that carries it', async () => {
    const guarded = await startApp({ env: { DASHBOARD_TOKEN: 'telemetry-secret' } })
    try {
      const body = logsExport(userPrompt(randomUUID()))
      expect((await post(LOGS, body, json, guarded.url)).status).toBe(401)
      expect((await post(LOGS, body, { ...json, authorization: 'Bearer wrong' }, guarded.url)).status).toBe(401)
      expect((await post(LOGS, body, { ...json, authorization: 'Bearer telemetry-secret' }, guarded.url)).status).toBe(200)
    } finally {
      await guarded.close()
    }
  })
})

describe('what is kept', () => {
  it('stores a gzip export, and answers partial success for a record that is not a Claude Code event', async () => {
    const sessionId = randomUUID()
    const res = await post(LOGS, gzipSync(logsExport(userPrompt(sessionId), { 'session.id': sessionId })), { ...json, 'content-encoding': 'gzip' })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ partialSuccess: { rejectedLogRecords: '1', errorMessage: expect.stringContaining('not a Claude Code event') } })
    expect(await storedEvents(sessionId)).toBe(1)
  })

  it('answers an empty success in protobuf to a protobuf export with nothing rejected', async () => {
    const res = await post(LOGS, Buffer.alloc(0), { 'content-type': 'application/x-protobuf' })
    expect(res.status).toBe(200)
    expect(decodeOtlp('ExportLogsServiceResponse', Buffer.from(await res.arrayBuffer()))).toEqual({})
  })

  it('stores values the database cannot hold as they are (NUL, half a surrogate pair) in a form it can', async () => {
    const sessionId = randomUUID()
    const res = await post(LOGS, logsExport({ ...userPrompt(sessionId), prompt: 'a\u0000b\ud800c' }), json)
    expect(res.status).toBe(200)
    const [row] = (await app.app.dataSource.query(`SELECT attributes->>'prompt' AS prompt FROM claude_code_events WHERE session_id = $1`, [sessionId])) as [{ prompt: string }]
    expect(row.prompt).toBe('ab\ufffdc')
  })

  it('stores an export the exporter retried once', async () => {
    const sessionId = randomUUID()
    const body = logsExport(userPrompt(sessionId))
    expect((await post(LOGS, body, json)).status).toBe(200)
    expect((await post(LOGS, body, json)).status).toBe(200)
    expect(await storedEvents(sessionId)).toBe(1)
  })

  it('stores the number points of Claude Code metrics by session and counts distributions as rejected', async () => {
    const sessionId = randomUUID()
    const attributes = [
      { key: 'session.id', value: string(sessionId) },
      { key: 'model', value: string('claude-sonnet-4-5-20250929') },
      { key: 'type', value: string('input') },
    ]
    const body = JSON.stringify({
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: string('claude-code') }] },
          scopeMetrics: [
            {
              scope: { name: 'com.anthropic.claude_code' },
              metrics: [
                { name: 'claude_code.token.usage', unit: 'tokens', sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ attributes, startTimeUnixNano: '1767225600000000000', timeUnixNano: '1767225660000000000', asDouble: 1234 }] } },
                { name: 'claude_code.cost.usage', unit: 'USD', sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ attributes, timeUnixNano: '1767225660000000000', asDouble: 0.0421 }] } },
                { name: 'some.histogram', histogram: { dataPoints: [{ count: '1' }], aggregationTemporality: 1 } },
              ],
            },
          ],
        },
      ],
    })
    const res = await post(METRICS, body, json)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ partialSuccess: { rejectedDataPoints: '1', errorMessage: expect.stringContaining('histogram') } })
    const rows = (await app.app.dataSource.query(`SELECT metric_name, unit, value, is_monotonic, temporality, observed_at FROM claude_code_metric_points WHERE session_id = $1 ORDER BY metric_name`, [sessionId])) as unknown[]
    expect(rows).toEqual([
      { metric_name: 'claude_code.cost.usage', unit: 'USD', value: 0.0421, is_monotonic: true, temporality: 1, observed_at: new Date('2026-01-01T00:01:00Z') },
      { metric_name: 'claude_code.token.usage', unit: 'tokens', value: 1234, is_monotonic: true, temporality: 1, observed_at: new Date('2026-01-01T00:01:00Z') },
    ])
  })

  it('prunes events older than the retention period and keeps newer ones', async () => {
    const sessionId = randomUUID()
    const old = new Date(Date.now() - 40 * 86_400_000).toISOString()
    const recent = new Date(Date.now() - 86_400_000).toISOString()
    expect((await post(LOGS, logsExport(userPrompt(sessionId, old), userPrompt(sessionId, recent)), json)).status).toBe(200)
    const result = await app.app.retention.prune(30)
    expect(result.telemetryDeleted).toBeGreaterThanOrEqual(1)
    const rows = (await app.app.dataSource.query(`SELECT occurred_at FROM claude_code_events WHERE session_id = $1`, [sessionId])) as Array<{ occurred_at: Date }>
    expect(rows.map((row) => row.occurred_at.toISOString())).toEqual([recent])
  })
})
