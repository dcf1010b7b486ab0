/**
 * Client-chosen values too large for their indexed columns: one such request must cost at most
 * its own fields, never the capture of what follows it.
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_INDEXED_TEXT_BYTES, TRUNCATION_MARKER } from '../../server/capture/indexed-text'
import { DEFAULT_MODEL } from '../support/anthropic-fixtures'
import { startApp, type TestApp } from '../support/start-app'
import { withWholeBodies, type StoredBodyColumns } from '../support/stored-records'

let app: TestApp
beforeAll(async () => {
  app = await startApp()
})
afterAll(() => app?.close())

const post = (model: string) =>
  fetch(`${app.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-oversized', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
  })

describe('a model too large for its index', () => {
  it('stores a request with a 4 KB model, its model cut and flagged, and the requests after it', async () => {
    // Random text does not compress, so the index entry really is 4 KB.
    const model = randomBytes(3072).toString('base64')
    const oversized = await post(model)
    await oversized.arrayBuffer()
    const after = await Promise.all([post(DEFAULT_MODEL), post(DEFAULT_MODEL)])
    await Promise.all(after.map((res) => res.arrayBuffer()))
    await app.app.capture.flush(10_000)

    const rows = (await app.app.dataSource.query(`SELECT id, started_at, model, status, error, request_body, request_body_content_ids, request_body_content_list_id, request_body_content_list_at, request_body_own_ids_at, response_sse, response_sse_from_chunks FROM requests WHERE api_key_fingerprint IS NOT NULL ORDER BY started_at`)) as Array<StoredBodyColumns & { model: string; status: string; error: string | null }>
    expect(rows).toHaveLength(3)
    const [first, ...rest] = rows
    expect(Buffer.byteLength(first!.model)).toBeLessThanOrEqual(MAX_INDEXED_TEXT_BYTES)
    expect(first!.model.endsWith(TRUNCATION_MARKER)).toBe(true)
    expect(model.startsWith(first!.model.slice(0, -TRUNCATION_MARKER.length))).toBe(true)
    expect(first!.error).toMatch(/model truncated in storage \(4096 bytes sent\)/)
    // The body is kept whole: the model can still be read from it.
    expect(JSON.parse((await withWholeBodies(app.app.dataSource, first!)).request_body).model).toBe(model)
    for (const row of rest) expect(row).toMatchObject({ model: DEFAULT_MODEL, status: 'COMPLETED', error: null })
  })
})
