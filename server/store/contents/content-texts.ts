import type { DataSource, EntityManager } from 'typeorm'
import { CONTENT_RUNS_TABLE } from '../tables/content-runs.table'
import { CONTENTS_TABLE } from '../tables/contents.table'

/** The texts of the contents `ids` name (each read once), by id; an id with no row is left out. */
export async function readContentTexts(db: DataSource | EntityManager, ids: Iterable<string>): Promise<Map<string, string>> {
  const unique = [...new Set(ids)]
  if (unique.length === 0) return new Map()
  const rows = (await db.query(`SELECT id, text FROM ${CONTENTS_TABLE} WHERE id = ANY($1::uuid[])`, [unique])) as Array<{ id: string; text: string }>
  return new Map(rows.map((row) => [row.id, row.text]))
}

/** The part ids of the runs `ids` name (each read once), by run id; an id with no row is left out. */
export async function readContentRuns(db: DataSource | EntityManager, ids: Iterable<string>): Promise<Map<string, string[]>> {
  const unique = [...new Set(ids)]
  if (unique.length === 0) return new Map()
  const rows = (await db.query(`SELECT id, content_ids FROM ${CONTENT_RUNS_TABLE} WHERE id = ANY($1::uuid[])`, [unique])) as Array<{ id: string; content_ids: string[] }>
  return new Map(rows.map((row) => [row.id, row.content_ids]))
}
