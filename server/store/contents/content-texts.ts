import type { DataSource, EntityManager } from 'typeorm'
import { CONTENT_LISTS_TABLE, CONTENTS_TABLE } from '../tables/contents.table'

/** The texts of the contents `ids` name (each read once), by id; an id with no row is left out. */
export async function readContentTexts(db: DataSource | EntityManager, ids: Iterable<string>): Promise<Map<string, string>> {
  const unique = [...new Set(ids)]
  if (unique.length === 0) return new Map()
  const rows = (await db.query(`SELECT id, text FROM ${CONTENTS_TABLE} WHERE id = ANY($1::uuid[])`, [unique])) as Array<{ id: string; text: string }>
  return new Map(rows.map((row) => [row.id, row.text]))
}

/** The part ids of the lists `ids` name (each read once), by list id; an id with no row is left out. */
export async function readContentLists(db: DataSource | EntityManager, ids: Iterable<string>): Promise<Map<string, string[]>> {
  const unique = [...new Set(ids)]
  if (unique.length === 0) return new Map()
  // Comma-separated: a long uuid[] costs the driver far more to parse than one string to split.
  const rows = (await db.query(`SELECT id, array_to_string(ids, ',') AS ids FROM ${CONTENT_LISTS_TABLE} WHERE id = ANY($1::uuid[])`, [unique])) as Array<{ id: string; ids: string }>
  return new Map(rows.map((row) => [row.id, row.ids === '' ? [] : row.ids.split(',')]))
}
