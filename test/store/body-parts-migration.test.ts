import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { RequestsService } from '../../server/requests/requests.service'
import { REQUEST_BODY_CASES } from '../support/request-bodies'
import { undoMigrationsThrough, useMigratedStore } from '../support/test-database'

const store = useMigratedStore()

/** Undoes migrations, newest first, until `name` is no longer applied. */
const undoThrough = (name: string) => undoMigrationsThrough(store.dataSource, name)

/** A row as the schema before the migration held it: the body whole in `request_body`. */
async function insertWholeBody(body: string, isJson: boolean): Promise<string> {
  const id = randomUUID()
  await store.dataSource.query(
    `INSERT INTO requests (id, status, started_at, method, path, provider, stream, request_headers, request_body, request_body_bytes, request_body_is_json)
     VALUES ($1, 'COMPLETED', now(), 'POST', '/v1/messages', 'anthropic', false, '{}', $2, $3, $4)`,
    [id, body, Buffer.byteLength(body), isJson],
  )
  return id
}

describe('the migrations of body storage', () => {
  it('moves every existing body into parts and back, each reading back as the same text, and shares the parts bodies have in common', async () => {
    await undoThrough('StoreBodyPartsOnce1796700000000')

    const cases = [...REQUEST_BODY_CASES, { name: 'the first case again', body: REQUEST_BODY_CASES[0]!.body }]
    const ids: string[] = []
    for (const { body } of cases) ids.push(await insertWholeBody(body, isJson(body)))

    await store.dataSource.runMigrations({ transaction: 'each' })
    const service = new RequestsService(store.dataSource)
    expect((await service.bodiesOf(ids)).map((bodies) => bodies?.requestBody)).toEqual(cases.map((c) => c.body))
    const [{ split, parts }] = (await store.dataSource.query(
      `SELECT count(*) FILTER (WHERE request_body_content_ids IS NOT NULL)::int AS split, (SELECT count(*)::int FROM contents) AS parts FROM requests WHERE id = ANY($1::uuid[])`,
      [ids],
    )) as Array<{ split: number; parts: number }>
    expect(split).toBe(cases.filter((c) => !c.storedWhole).length)
    const first = JSON.parse(cases[0]!.body) as { system: unknown[]; tools: unknown[]; messages: unknown[] }
    expect(parts).toBeGreaterThanOrEqual(first.system.length + first.tools.length + first.messages.length)

    await undoThrough('StoreBodyPartsOnce1796700000000')
    const rows = (await store.dataSource.query(`SELECT id, request_body FROM requests WHERE id = ANY($1::uuid[])`, [ids])) as Array<{ id: string; request_body: string }>
    expect(ids.map((id) => rows.find((row) => row.id === id)?.request_body)).toEqual(cases.map((c) => c.body))
    await store.dataSource.runMigrations({ transaction: 'each' })
  })

  it('moves stream chunks from a row per event to a row per response and back, storing an SSE once when its chunks frame it exactly', async () => {
    await undoThrough('KeepStreamChunksPerResponse1796800000000')
    const events = [
      { event: 'message_start', data: '{"type":"message_start"}' },
      { event: null, data: 'line one\nline two' },
      { event: 'message_stop', data: '{"type":"message_stop"}' },
    ]
    const framedSse = 'event: message_start\ndata: {"type":"message_start"}\n\ndata: line one\ndata: line two\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n'
    const framed = await insertWholeBody('{}', true)
    const unframed = await insertWholeBody('{}', true)
    for (const [id, sse] of [[framed, framedSse], [unframed, framedSse.replaceAll('data: ', 'data:')]] as const) {
      await store.dataSource.query(`UPDATE requests SET stream = true, response_sse = $2 WHERE id = $1`, [id, sse])
      for (const [seq, e] of events.entries()) {
        await store.dataSource.query(`INSERT INTO stream_chunks (request_id, seq, event, data, offset_ms, bytes) VALUES ($1, $2, $3, $4, $5, $6)`, [id, seq, e.event, e.data, 10.5 * seq, 40 + seq])
      }
    }

    await store.dataSource.runMigrations({ transaction: 'each' })
    const stored = (await store.dataSource.query(`SELECT id, response_sse, response_sse_from_chunks FROM requests WHERE id = ANY($1::uuid[])`, [[framed, unframed]])) as Array<{ id: string; response_sse: string | null; response_sse_from_chunks: boolean }>
    expect(Object.fromEntries(stored.map((row) => [row.id, row.response_sse_from_chunks]))).toEqual({ [framed]: true, [unframed]: false })
    const service = new RequestsService(store.dataSource)
    expect((await service.bodiesOf([framed, unframed])).map((bodies) => bodies?.responseSse)).toEqual([framedSse, framedSse.replaceAll('data: ', 'data:')])
    expect((await service.chunks(framed)).map(({ seq, event, data, offsetMs, bytes }) => ({ seq, event, data, offsetMs, bytes }))).toEqual(
      events.map((e, seq) => ({ seq, ...e, offsetMs: 10.5 * seq, bytes: 40 + seq })),
    )

    await undoThrough('KeepStreamChunksPerResponse1796800000000')
    const back = (await store.dataSource.query(`SELECT id, response_sse FROM requests WHERE id = ANY($1::uuid[])`, [[framed, unframed]])) as Array<{ id: string; response_sse: string }>
    expect(back.find((row) => row.id === framed)?.response_sse).toBe(framedSse)
    const [{ count }] = (await store.dataSource.query(`SELECT count(*)::int AS count FROM stream_chunks WHERE request_id = $1`, [framed])) as Array<{ count: number }>
    expect(count).toBe(events.length)
    await store.dataSource.runMigrations({ transaction: 'each' })
  })
})

function isJson(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}
