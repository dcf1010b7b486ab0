import { describe, expect, it } from 'vitest'
import { buildBatchStatements, MAX_BIND_PARAMETERS, type BatchWrite } from '../../server/store/batch-statements'
import { CONTENT_COLUMNS, CONTENT_LAST_USED_AT } from '../../server/store/tables/contents.table'
import { REQUEST_COLUMNS } from '../../server/store/tables/requests.table'
import { STREAM_CHUNK_COLUMNS as CHUNK_COLUMNS } from '../../server/store/tables/stream-chunks.table'
import { chunksOf, completeOp, inFlightRecord, startOp } from '../capture/records'
import { RequestsService } from '../../server/requests/requests.service'
import { useMigratedStore } from '../support/test-database'

const store = useMigratedStore()

async function run({ statements }: BatchWrite) {
  for (const statement of statements) await store.dataSource.query(statement.text, statement.values)
}

describe('buildBatchStatements', () => {
  it('declares every column with the type the migrations gave it', async () => {
    const declared = async (table: string) =>
      Object.fromEntries(
        ((await store.dataSource.query(`SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`, [table])) as { name: string; type: string }[]).map(
          (c) => [c.name, c.type],
        ),
      )

    expect(Object.fromEntries(REQUEST_COLUMNS.map(({ name, sqlType }) => [name, sqlType]))).toEqual(await declared('requests'))
    expect(Object.fromEntries(CHUNK_COLUMNS.map(({ name, sqlType }) => [name, sqlType]))).toEqual(await declared('stream_chunks'))
    expect(Object.fromEntries([...CONTENT_COLUMNS, CONTENT_LAST_USED_AT].map(({ name, sqlType }) => [name, sqlType]))).toEqual(await declared('contents'))
  })

  it('writes starts, completions and their chunks in one statement', async () => {
    const started = inFlightRecord()
    const stored = inFlightRecord({ stream: true })
    await run(buildBatchStatements([startOp(stored)]))
    const fresh = inFlightRecord({ stream: true })
    const ops = [startOp(started), completeOp(stored, {}, chunksOf(stored.id, 4)), completeOp(fresh, {}, chunksOf(fresh.id, 3))]

    const write = buildBatchStatements(ops, (id) => id === stored.id)
    expect(write.statements).toHaveLength(1)
    await run(write)

    const rows = (await store.dataSource.query('SELECT id, status FROM requests WHERE id = ANY($1) ORDER BY id', [[started.id, stored.id, fresh.id]])) as { id: string; status: string }[]
    expect(Object.fromEntries(rows.map((r) => [r.id, r.status]))).toEqual({ [started.id]: 'IN_FLIGHT', [stored.id]: 'COMPLETED', [fresh.id]: 'COMPLETED' })
    const counts = await store.dataSource.query('SELECT request_id, cardinality(data) AS count FROM stream_chunks WHERE request_id = ANY($1)', [[stored.id, fresh.id]])
    expect(Object.fromEntries(counts.map((c: { request_id: string; count: number }) => [c.request_id, c.count]))).toEqual({ [stored.id]: 4, [fresh.id]: 3 })
  })

  it('completes a stored start without sending its request body again, and never touches a finished row', async () => {
    const body = JSON.stringify({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'x'.repeat(10_000) }] })
    const record = inFlightRecord({ requestBody: body, requestBodyBytes: body.length })
    await run(buildBatchStatements([startOp(record)]))

    const completion = buildBatchStatements([completeOp(record, { stopReason: 'end_turn' })], () => true)
    expect(completion.statements[0]!.values).not.toContain(body)
    await run(completion)
    await run(buildBatchStatements([completeOp(record, { status: 'FAILED', error: 'late duplicate' })], () => true))

    const [row] = await store.dataSource.query('SELECT status, stop_reason, error FROM requests WHERE id = $1', [record.id])
    expect(row).toEqual({ status: 'COMPLETED', stop_reason: 'end_turn', error: null })
    expect((await new RequestsService(store.dataSource).get(record.id))?.requestBody).toBe(body)
  })

  it('splits at the bind-parameter limit, keeping each row whole', () => {
    const records = Array.from({ length: Math.ceil(MAX_BIND_PARAMETERS / REQUEST_COLUMNS.length) + 10 }, () => inFlightRecord({ stream: true }))
    const { statements } = buildBatchStatements(records.map((record) => completeOp(record, {}, chunksOf(record.id, 3))))

    expect(statements.length).toBeGreaterThan(1)
    for (const statement of statements) expect(statement.values.length).toBeLessThanOrEqual(MAX_BIND_PARAMETERS)
    expect(statements.reduce((sum, s) => sum + s.values.length, 0)).toBe(records.length * (REQUEST_COLUMNS.length + CHUNK_COLUMNS.length))
  })

  it('numbers the placeholders of each statement $1 to its last value once each, whatever batches came before', () => {
    const shapes = [
      () => [startOp(inFlightRecord())],
      () => [startOp(inFlightRecord()), completeOp(inFlightRecord({ stream: true }), {}, []), startOp(inFlightRecord())],
      () => Array.from({ length: Math.ceil(MAX_BIND_PARAMETERS / REQUEST_COLUMNS.length) + 3 }, () => startOp(inFlightRecord())),
    ]
    for (const shape of [...shapes, ...shapes.reverse()]) {
      for (const { text, values } of buildBatchStatements(shape()).statements) {
        const numbers = [...text.matchAll(/\$(\d+)/g)].map((match) => Number(match[1]))
        expect(numbers).toEqual(values.map((_, i) => i + 1))
      }
    }
  })

  it('stores a stream once as its chunks when they frame its SSE exactly, and keeps the SSE as sent when they do not', async () => {
    const framed = inFlightRecord({ stream: true })
    const chunks = chunksOf(framed.id, 3)
    const sse = chunks.map((c) => `event: ${c.event}\ndata: ${c.data}\n\n`).join('')
    const odd = inFlightRecord({ stream: true })
    const oddSse = 'event: ping\ndata:{}\n\n'
    await run(buildBatchStatements([completeOp(framed, { responseSse: sse }, chunks), completeOp(odd, { responseSse: oddSse }, [{ ...chunksOf(odd.id, 1)[0]!, event: 'ping', data: '{}' }])]))

    const rows = (await store.dataSource.query('SELECT id, response_sse, response_sse_from_chunks FROM requests WHERE id = ANY($1)', [[framed.id, odd.id]])) as Array<{ id: string; response_sse: string | null; response_sse_from_chunks: boolean }>
    expect(Object.fromEntries(rows.map((r) => [r.id, [r.response_sse, r.response_sse_from_chunks]]))).toEqual({ [framed.id]: [null, true], [odd.id]: [oddSse, false] })
    const service = new RequestsService(store.dataSource)
    expect((await service.bodiesOf([framed.id, odd.id])).map((b) => b?.responseSse)).toEqual([sse, oddSse])
    expect((await service.get(framed.id))?.responseSse).toBe(sse)
    expect((await service.chunks(framed.id)).map(({ event, data, seq }) => ({ event, data, seq }))).toEqual(chunks.map(({ event, data, seq }) => ({ event, data, seq })))
  })
})
