import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { RequestsService } from '../../server/requests/requests.service'
import { REQUEST_BODY_CASES } from '../support/request-bodies'
import { useMigratedStore } from '../support/test-database'

const store = useMigratedStore()

const MIGRATION = 'StoreBodyPartsOnce1796700000000'

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

describe('the migration that stores body parts once', () => {
  it('moves every existing body into parts and back, each reading back as the same text, and shares the parts bodies have in common', async () => {
    await store.dataSource.undoLastMigration({ transaction: 'each' })
    const [{ name }] = (await store.dataSource.query(`SELECT name FROM migrations ORDER BY id DESC LIMIT 1`)) as Array<{ name: string }>
    expect(name).not.toBe(MIGRATION)

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

    await store.dataSource.undoLastMigration({ transaction: 'each' })
    const rows = (await store.dataSource.query(`SELECT id, request_body FROM requests WHERE id = ANY($1::uuid[])`, [ids])) as Array<{ id: string; request_body: string }>
    expect(ids.map((id) => rows.find((row) => row.id === id)?.request_body)).toEqual(cases.map((c) => c.body))
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
