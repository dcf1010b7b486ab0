import { describe, expect, it } from 'vitest'
import { RequestsService } from '../../server/requests/requests.service'
import { layOutBody } from '../../server/store/contents/body-layout'
import { contentIdOf } from '../../server/store/contents/content-id'
import { conversationTurnRecord } from '../support/record-fixtures'
import { storeRecords } from '../support/stored-records'
import { undoMigrationsThrough, useMigratedStore } from '../support/test-database'

const store = useMigratedStore()

describe('the migration to shared lists of part ids', () => {
  it('gives each row its list\'s ids back when undone, so every body still reads back whole once it is applied again', async () => {
    const records = [30, 31, 64].map((turn) => conversationTurnRecord('migrated lists', turn))
    await storeRecords(store.dataSource, records)
    const idsOf = async () =>
      ((await store.dataSource.query(`SELECT id, request_body_content_ids AS ids FROM requests WHERE id = ANY($1::uuid[])`, [records.map((record) => record.id)])) as Array<{ id: string; ids: string[] }>).map((row) => [row.id, row.ids] as const)

    await undoMigrationsThrough(store.dataSource, 'SharePartLists1798000000000')

    expect(new Map(await idsOf())).toEqual(new Map(records.map((record) => [record.id, layOutBody(Buffer.from(record.requestBody)).contentIds])))
    await store.dataSource.runMigrations({ transaction: 'each' })
    const service = new RequestsService(store.dataSource)
    expect((await service.bodiesOf(records.map((record) => record.id))).map((bodies) => bodies?.requestBody)).toEqual(records.map((record) => record.requestBody))
  })
  it('reads back whole the rows that place a list of their first messages among their own ids, as rows stored before lists held every part do', async () => {
    const records = [31, 40].map((turn) => conversationTurnRecord('earlier lists', turn))
    await storeRecords(store.dataSource, records)
    await undoMigrationsThrough(store.dataSource, 'ListAllPartsButTheNewestMessages1798200000000')

    // Undone, each row holds all its ids; then it is laid out as that schema's writer did: its first
    // 32 messages in a list, placed where its messages begin (after the system prompt and five tools).
    for (const record of records) {
      const ids = layOutBody(Buffer.from(record.requestBody)).contentIds!
      const [row] = (await store.dataSource.query(`SELECT request_body_content_ids AS ids, request_body_content_list_id AS list FROM requests WHERE id = $1`, [record.id])) as Array<{ ids: string[]; list: string | null }>
      expect(row).toEqual({ ids, list: null })
      const first = ids.slice(6, 38)
      const listId = contentIdOf(Buffer.from(first.join(',')))
      await store.dataSource.query(`INSERT INTO content_lists (id, ids) VALUES ($1, $2::uuid[]) ON CONFLICT DO NOTHING`, [listId, first])
      await store.dataSource.query(`UPDATE requests SET request_body_content_ids = $2::uuid[], request_body_content_list_id = $3, request_body_content_list_at = 6 WHERE id = $1`, [record.id, [...ids.slice(0, 6), ...ids.slice(38)], listId])
    }
    await store.dataSource.runMigrations({ transaction: 'each' })

    const service = new RequestsService(store.dataSource)
    expect((await service.bodiesOf(records.map((record) => record.id))).map((bodies) => bodies?.requestBody)).toEqual(records.map((record) => record.requestBody))
    expect((await service.list({ search: 'earlier lists message 3:' }, 10)).nodes.map((node) => node.id).sort()).toEqual(records.map((record) => record.id).sort())
  })
})
