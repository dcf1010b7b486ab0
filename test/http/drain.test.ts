import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStore } from '../../server/store/data-source'
import { startAppProcess } from '../support/app-process'
import { MOCK_HEADERS, startMockUpstream, type MockUpstream } from '../support/mock-upstream'
import { waitFor } from '../support/wait'
import { createTestDatabase, type TestDatabase } from '../support/test-database'

let upstream: MockUpstream
let database: TestDatabase
let dataDir: string

beforeAll(async () => {
  upstream = await startMockUpstream()
  database = await createTestDatabase()
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'claudescope-drain-'))
})
afterAll(async () => {
  await upstream?.close()
  await database?.drop()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('graceful stop on SIGTERM', () => {
  it('turns /health 503 at once, finishes the running stream intact, refuses new work after the grace, records it and exits 0', async () => {
    const app = await startAppProcess({ DATABASE_URL: database.url, DATA_DIR: dataDir, ANTHROPIC_FORWARD_URL: upstream.url, DRAIN_GRACE: '1' })
    const stream = await fetch(`${app.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-drain', [MOCK_HEADERS.scenario]: 'slow-stream', [MOCK_HEADERS.delayMs]: '250', [MOCK_HEADERS.events]: '12' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'long' }] }),
    })
    const body = stream.text()
    const upstreamRequest = await waitFor(() => upstream.requests.find((r) => r.scenario === 'slow-stream'), 'the stream to reach upstream')

    app.child.kill('SIGTERM')
    await waitFor(async () => (await fetch(`${app.url}/health`)).status === 503, '/health to answer 503', 2_000)
    expect(await (await fetch(`${app.url}/livez`)).json()).toMatchObject({ draining: true, in_flight: 1 })

    await waitFor(() => app.logs.some((l) => l.msg === 'draining: refusing new /v1/* requests'), 'the grace period to pass', 5_000)
    const refused = await fetch(`${app.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    expect(refused.status).toBe(503)
    expect(await refused.json()).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } })

    const text = await body
    expect(Buffer.from(text).equals(upstream.sentBody(upstreamRequest))).toBe(true)
    expect(await app.exited).toBe(0)

    const store = await openStore(database.url)
    try {
      const rows = await store.query(`SELECT status, upstream_request_id FROM requests WHERE api_key_fingerprint IS NOT NULL AND stream`)
      expect(rows).toEqual([{ status: 'COMPLETED', upstream_request_id: upstreamRequest.requestId }])
    } finally {
      await store.destroy()
    }
  }, 60_000)
})
