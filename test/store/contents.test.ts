import { describe, expect, it, vi } from 'vitest'
import type { RequestRecord } from '../../server/records/request-record'
import { RequestsService } from '../../server/requests/requests.service'
import { createCaptureStore } from '../../server/store/capture-store'
import { layOutBody } from '../../server/store/contents/body-layout'
import { completeOp, inFlightRecord, startOp } from '../capture/records'
import { conversationTurnBody, REQUEST_BODY_CASES } from '../support/request-bodies'
import { storeRecords } from '../support/stored-records'
import { useMigratedStore } from '../support/test-database'

const store = useMigratedStore()

/** Bytes of every parameter a call to `query` bound, over the calls made while `run` ran. */
async function bytesBoundWhile(run: () => Promise<void>): Promise<number> {
  const spy = vi.spyOn(store.dataSource, 'query')
  try {
    await run()
    return spy.mock.calls.flatMap((call) => (call[1] as unknown[] | undefined) ?? []).reduce<number>((sum, value) => sum + (Buffer.isBuffer(value) ? value.length : typeof value === 'string' ? Buffer.byteLength(value) : 0), 0)
  } finally {
    spy.mockRestore()
  }
}

describe('content-addressed request bodies', () => {
  it.each(REQUEST_BODY_CASES)('reads back $name exactly, by id and as a page of bodies', async ({ body }) => {
    const record = inFlightRecord({ requestBody: body, requestBodyBytes: Buffer.byteLength(body) })
    await storeRecords(store.dataSource, [record])
    const service = new RequestsService(store.dataSource)

    expect((await service.get(record.id))?.requestBody).toBe(body)
    expect((await service.bodiesOf([record.id]))[0]?.requestBody).toBe(body)
  })

  it('stores each system block, tool and message of a conversation once, however many turns resend it', async () => {
    const conversation = 'once'
    const captureStore = createCaptureStore(store.dataSource)
    const turns = 12
    for (let turn = 0; turn < turns; turn++) {
      const body = conversationTurnBody(conversation, turn)
      await captureStore.writeBatch([startOp(inFlightRecord({ requestBody: body, requestBodyBytes: body.length }))], () => false)
    }
    const last = layOutBody(Buffer.from(conversationTurnBody(conversation, turns - 1)))
    const [{ rows, bytes }] = (await store.dataSource.query(`SELECT count(*)::int AS rows, sum(octet_length(text))::int AS bytes FROM contents WHERE id = ANY($1::uuid[])`, [last.contentIds])) as Array<{ rows: number; bytes: number }>

    expect(rows).toBe(1 + 5 + turns)
    expect(bytes).toBe(last.parts.reduce((sum, part) => sum + part.bytes.length, 0))
  })

  it('sends a turn only what is new: parts it wrote lately are not sent again', async () => {
    const captureStore = createCaptureStore(store.dataSource)
    const write = (turn: number) => {
      const body = conversationTurnBody('sends-new', turn)
      return captureStore.writeBatch([startOp(inFlightRecord({ requestBody: body, requestBodyBytes: body.length }))], () => false)
    }
    for (let turn = 0; turn < 10; turn++) await write(turn)
    const previous = layOutBody(Buffer.from(conversationTurnBody('sends-new', 9)))
    const next = layOutBody(Buffer.from(conversationTurnBody('sends-new', 10)))
    const newPart = next.parts.at(-1)!.bytes.length

    const bound = await bytesBoundWhile(() => write(10))

    expect(bound).toBeGreaterThanOrEqual(newPart)
    // The new message, the skeleton, headers and ids: far from the previous turn's whole body.
    expect(bound).toBeLessThan(newPart + next.text.length + 4096)
    expect(bound).toBeLessThan(previous.parts.reduce((sum, part) => sum + part.bytes.length, 0) / 4)
  })

  it('writes the parts of a batch once, when two turns of one conversation share it, and completes stored starts without them', async () => {
    const bodies = [conversationTurnBody('batch', 3), conversationTurnBody('batch', 4)]
    const records = bodies.map((body) => inFlightRecord({ requestBody: body, requestBodyBytes: body.length }))
    const captureStore = createCaptureStore(store.dataSource)
    await captureStore.writeBatch(records.map(startOp), () => false)
    await captureStore.writeBatch(records.map((record) => completeOp(record, { responseBody: '{"ok":true}' })), () => true)

    const service = new RequestsService(store.dataSource)
    expect((await service.bodiesOf(records.map((record) => record.id))).map((bodies) => bodies?.requestBody)).toEqual(bodies)
    expect((await service.get(records[1]!.id))?.responseBody).toBe('{"ok":true}')
  })

  it('finds a search text inside a stored part, and inside the skeleton around the parts', async () => {
    const body = JSON.stringify({ model: 'claude-opus-4-1', messages: [{ role: 'user', content: 'the zanzibar protocol' }], metadata: { user_id: 'quokka' } })
    const record = inFlightRecord({ requestBody: body, requestBodyBytes: body.length })
    await storeRecords(store.dataSource, [record])
    const service = new RequestsService(store.dataSource)

    for (const search of ['ZANZIBAR', 'quokka']) expect((await service.list({ search }, 10)).nodes.map((node) => node.id)).toEqual([record.id])
  })

  it('finds a text in a part wherever it starts and ends within a word, whatever its length and script, and nothing that only nearly matches', async () => {
    const text = 'the flamingo_ledger sits in Zürich, 日本語のテキスト: x-ray 42'
    const [record, other] = [text, 'flamingos ledge, Zurich'].map((content) => {
      const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content }] })
      return inFlightRecord({ requestBody: body, requestBodyBytes: Buffer.byteLength(body) })
    }) as [RequestRecord, RequestRecord]
    await storeRecords(store.dataSource, [record, other])
    const service = new RequestsService(store.dataSource)
    const found = async (search: string) => (await service.list({ search }, 10)).nodes.map((node) => node.id)

    // Cut mid-word at either end, so the text carries the word on past the search. Other tests' rows may hold the shortest.
    for (const search of ['amingo_led', 'FLAMINGO_LEDGER SITS', 'ngo_le', 'edger s', 'ürich', 'ZÜR', '本語のテ', 'のテキ', 'x-r', 'ay 4', 'ri', '2', ': x']) {
      expect(await found(search), search).toContain(record.id)
    }
    for (const search of ['flamingo_ledgers', 'ledger  sits', 'zürichs', '日本語テキスト', 'x-rays']) expect(await found(search), search).toEqual([])
    expect((await found('flamingo')).sort(), 'flamingo').toEqual([record.id, other.id].sort())
  })
})

describe('lists of part ids shared by the turns of a conversation', () => {
  /** Each record's list and how many ids its row holds itself, in the records' order. */
  async function rowsOf(records: readonly RequestRecord[]): Promise<Array<{ list: string | null; own: number }>> {
    const rows = (await store.dataSource.query(`SELECT id, request_body_content_list_id AS list, cardinality(request_body_content_ids)::int AS own FROM requests WHERE id = ANY($1::uuid[])`, [records.map((record) => record.id)])) as Array<{ id: string; list: string | null; own: number }>
    const byId = new Map(rows.map((row) => [row.id, { list: row.list, own: row.own }]))
    return records.map((record) => byId.get(record.id)!)
  }

  const recordsOf = (conversation: string, turns: number[]) => turns.map((turn) => conversationTurnBody(conversation, turn)).map((body) => inFlightRecord({ requestBody: body, requestBodyBytes: body.length }))

  it('names one list for the parts the turns resend (system prompt, tools and first messages in whole runs), each row holding its newest messages alone, and reads every body back whole', async () => {
    // A system block, five tools and turn + 1 messages: 31, 32, 51, 63 and 64 messages.
    const records = recordsOf('lists', [30, 31, 50, 62, 63])
    const [otherConversation] = recordsOf('other lists', [4])
    await storeRecords(store.dataSource, [...records, otherConversation!])

    const rows = await rowsOf(records)
    expect(rows.map((row) => row.own)).toEqual([31, 0, 19, 31, 0])
    // Fewer than a run of messages: the list is the system prompt and tools, which another conversation with them shares.
    expect(rows[0]!.list).not.toBeNull()
    expect((await rowsOf([otherConversation!]))[0]!.list).toBe(rows[0]!.list)
    expect(new Set(rows.slice(1, 4).map((row) => row.list)).size).toBe(1)
    expect(new Set([rows[0]!.list, rows[1]!.list, rows[4]!.list]).size).toBe(3)
    const [{ lists }] = (await store.dataSource.query(`SELECT count(*)::int AS lists FROM content_lists WHERE id = ANY($1::uuid[])`, [rows.map((row) => row.list)])) as Array<{ lists: number }>
    expect(lists).toBe(3)
    const service = new RequestsService(store.dataSource)
    expect((await service.bodiesOf([...records, otherConversation!].map((record) => record.id))).map((bodies) => bodies?.requestBody)).toEqual([...records, otherConversation!].map((record) => record.requestBody))
    expect((await service.get(records[2]!.id))?.requestBody).toBe(records[2]!.requestBody)
  })

  it('finds a request by a text in a part only its list names, whether the search names the parts or looks them up per request', async () => {
    const [record] = recordsOf('needle', [40])
    const [other] = recordsOf('haystack', [40])
    await storeRecords(store.dataSource, [record!, other!])
    expect((await rowsOf([record!]))[0]!.list).not.toBeNull()

    // The fourth message, named by the list.
    for (const service of [new RequestsService(store.dataSource), new RequestsService(store.dataSource, { searchPartsLimit: 0 })]) {
      expect((await service.list({ search: 'needle message 3:' }, 10)).nodes.map((node) => node.id)).toEqual([record!.id])
    }
  })
})
