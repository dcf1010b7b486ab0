import { escapeLike } from '../requests/request-filter'

/** A ConversationFilter's conditions; null, undefined and empty lists mean "no condition". */
export interface ConversationFilterValues {
  from?: Date | null
  to?: Date | null
  models?: string[] | null
  sessionId?: string | null
  search?: string | null
}

/** The filter as SQL over `conversations c`, numbered parameters from `firstParameter` on. */
export function conversationFilterSql(filter: ConversationFilterValues | null | undefined, firstParameter: number): { sql: string[]; values: unknown[] } {
  const sql: string[] = []
  const values: unknown[] = []
  const param = (value: unknown) => {
    values.push(value)
    return `$${firstParameter + values.length - 1}`
  }
  if (!filter) return { sql, values }
  if (filter.from) sql.push(`c.last_activity_at >= ${param(filter.from)}`)
  if (filter.to) sql.push(`c.started_at < ${param(filter.to)}`)
  if (filter.models && filter.models.length > 0) sql.push(`c.models && ${param(filter.models)}::text[]`)
  if (filter.sessionId) sql.push(`c.session_key = ${param(filter.sessionId)}`)
  if (filter.search) sql.push(`c.title ILIKE ${param(`%${escapeLike(filter.search)}%`)} ESCAPE '\\'`)
  return { sql, values }
}
