import type { DataSource, EntityManager } from 'typeorm'
import { CONTENTS_TABLE } from '../tables/contents.table'

/** The texts of the contents `ids` name (each read once), by id; an id with no row is left out. */
export async function readContentTexts(db: DataSource | EntityManager, ids: Iterable<string>): Promise<Map<string, string>> {
  const unique = [...new Set(ids)]
  if (unique.length === 0) return new Map()
  const rows = (await db.query(`SELECT id, text FROM ${CONTENTS_TABLE} WHERE id = ANY($1::uuid[])`, [unique])) as Array<{ id: string; text: string }>
  return new Map(rows.map((row) => [row.id, row.text]))
}
