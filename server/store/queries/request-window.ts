import { Between, type FindOperator } from 'typeorm'

/**
 * How far a request's `started_at` may lie from the instant its id was made. The proxy makes the
 * UUIDv7 id and takes the start from the same clock within a millisecond; the margin covers the
 * uuid generator keeping ids ordered across a clock stepped back, at the cost of reading the
 * neighbouring week's partition for requests of a Monday morning or a Sunday night.
 */
const ID_CLOCK_MARGIN_MS = 24 * 60 * 60 * 1000

/** The instants requests' starts lie in, when known from their ids. */
export interface StartedAtWindow {
  from: Date
  to: Date
}

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i

/** Milliseconds since the epoch in a UUIDv7 (its first 48 bits); null for another kind of id. */
export function uuidV7Time(id: string): number | null {
  return UUID_V7.test(id) ? Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16) : null
}

/**
 * Where the starts of the requests `ids` names lie, from the times in their UUIDv7 ids, so a
 * lookup by id reads only the partitions of those weeks (see partitions.ts); null when an id is
 * not a UUIDv7 (a record imported, or made by a test), which a lookup reads in every partition.
 */
export function startedAtWindowOf(ids: readonly string[]): StartedAtWindow | null {
  if (ids.length === 0) return null
  const times = ids.map(uuidV7Time)
  if (times.some((time) => time === null)) return null
  const known = times as number[]
  return { from: new Date(Math.min(...known) - ID_CLOCK_MARGIN_MS), to: new Date(Math.max(...known) + ID_CLOCK_MARGIN_MS) }
}

/**
 * The instants from the earliest of `starts` to the latest, as bounds on a stored `started_at`: a
 * Date read back holds milliseconds, the column microseconds (a row written by SQL's now()), so the
 * upper bound is a millisecond later.
 */
export function startedAtSpan(starts: readonly Date[]): StartedAtWindow {
  const times = starts.map((start) => start.getTime())
  return { from: new Date(Math.min(...times)), to: new Date(Math.max(...times) + 1) }
}

/** The window as a TypeORM condition on `startedAt`: a `where` spread with it reads only its partitions. */
export function startedAtWithin(window: StartedAtWindow | null): { startedAt?: FindOperator<Date> } {
  return window === null ? {} : { startedAt: Between(window.from, window.to) }
}

/**
 * The rows `read` finds for `ids`, read first within the window of the ids' times, then, for ids
 * it did not find there, in every partition: a row whose start lies far from its id's time (which
 * the proxy never writes) or no row at all costs a second read, and a lookup is never wrong.
 */
export async function readByIds<T>(ids: readonly string[], read: (ids: readonly string[], window: StartedAtWindow | null) => Promise<T[]>, idOf: (row: T) => string): Promise<T[]> {
  if (ids.length === 0) return []
  const window = startedAtWindowOf(ids)
  const rows = await read(ids, window)
  if (window === null) return rows
  const found = new Set(rows.map(idOf))
  const missing = [...new Set(ids)].filter((id) => !found.has(id))
  return missing.length === 0 ? rows : [...rows, ...(await read(missing, null))]
}
