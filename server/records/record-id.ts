const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * Whether `id` has the form of a record's id (a UUID). An id from an API argument that does not
 * names no record, and must not reach a `uuid` column, where PostgreSQL would refuse the query.
 */
export function isRecordId(id: string): boolean {
  return UUID.test(id)
}
