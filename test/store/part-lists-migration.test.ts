import { describe, expect, it } from 'vitest'
import { RequestsService } from '../../server/requests/requests.service'
import { layOutBody } from '../../server/store/contents/body-layout'
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
})
