import { DIMENSION_OF_REQUEST, ROLLUP_COUNTERS, ROLLUP_GRAINS, ROLLUP_SLOT_MS, USAGE_ROLLUPS_TABLE, type RollupDimension } from '../store/tables/usage-rollups.table'

export type TimeUnit = 'hour' | 'day' | 'week'

export interface UsageQuery {
  from: Date
  to: Date
  unit: TimeUnit | null
  dimensions: readonly RollupDimension[]
  /** IANA name, already validated. */
  timezone: string
}

/** The smallest grain that keeps every dimension asked for. */
function grainFor(dimensions: readonly RollupDimension[]): string {
  const grain = ROLLUP_GRAINS.find((g) => dimensions.every((d) => (g.dimensions as readonly string[]).includes(d)))
  return (grain ?? ROLLUP_GRAINS.at(-1)!).name
}

const floorSlot = (ms: number) => Math.floor(ms / ROLLUP_SLOT_MS) * ROLLUP_SLOT_MS
const ceilSlot = (ms: number) => Math.ceil(ms / ROLLUP_SLOT_MS) * ROLLUP_SLOT_MS

/**
 * The statement of a usage report. Whole 15-minute slots inside [from, to) are read from the
 * rollups; the partial slots at either end (when from or to is not on a slot boundary) from
 * `requests` itself, through its started_at index, at most 15 minutes each. Slots are then
 * grouped into local hours, days or weeks of `timezone`:
 * - a day or week is its local calendar span: `date_trunc` of the slot's local time, turned back
 *   into an instant in the zone, so a DST day lasts 23 or 25 hours;
 * - an hour is the slot less its minutes into the local hour, an instant, so the two 01:00 hours
 *   of a night the clocks go back stay two buckets, and :30/:45 zones start hours at :30/:45 UTC.
 */
export function usageStatement(query: UsageQuery): { text: string; values: unknown[] } {
  const { from, to, unit, dimensions, timezone } = query
  const innerFrom = Math.min(ceilSlot(from.getTime()), to.getTime())
  const innerTo = Math.max(floorSlot(to.getTime()), innerFrom)
  const values: unknown[] = [grainFor(dimensions), new Date(innerFrom), new Date(innerTo), from, new Date(innerFrom), new Date(innerTo), to]
  // $8, the zone, only where a time unit uses it: a parameter no expression uses has no type.
  if (unit !== null) values.push(timezone)
  const counters = ROLLUP_COUNTERS.map((c) => c.name)
  const kept = (d: RollupDimension) => (dimensions.includes(d) ? d : `''`)
  const slots = `
    SELECT slot_start, ${kept('model')} AS model, ${kept('api_key_fingerprint')} AS api_key_fingerprint, ${counters.join(', ')}
    FROM ${USAGE_ROLLUPS_TABLE} WHERE grain = $1 AND slot_start >= $2 AND slot_start < $3
    UNION ALL
    SELECT date_bin('15 minutes', r.started_at, TIMESTAMPTZ '2000-01-01 00:00:00+00'),
      ${dimensions.includes('model') ? DIMENSION_OF_REQUEST.model : `''`}, ${dimensions.includes('api_key_fingerprint') ? DIMENSION_OF_REQUEST.api_key_fingerprint : `''`},
      ${ROLLUP_COUNTERS.map((c) => c.ofRequest).join(', ')}
    FROM requests r WHERE r.status <> 'IN_FLIGHT' AND ((r.started_at >= $4 AND r.started_at < $5) OR (r.started_at >= $6 AND r.started_at < $7))`
  const local = `(s.slot_start AT TIME ZONE $8)`
  const bucket =
    unit === null
      ? { start: 'NULL::timestamptz', end: 'NULL::timestamptz', label: 'NULL::text' }
      : unit === 'hour'
        ? { start: `s.slot_start - (${local} - date_trunc('hour', ${local}))`, end: `s.slot_start - (${local} - date_trunc('hour', ${local})) + interval '1 hour'`, label: `to_char(date_trunc('hour', ${local}), 'YYYY-MM-DD"T"HH24:MI:SS')` }
        : { start: `date_trunc('${unit}', ${local}) AT TIME ZONE $8`, end: `(date_trunc('${unit}', ${local}) + interval '1 ${unit}') AT TIME ZONE $8`, label: `to_char(date_trunc('${unit}', ${local}), 'YYYY-MM-DD"T"HH24:MI:SS')` }
  const text = `
    SELECT ${bucket.start} AS bucket_start, ${bucket.end} AS bucket_end, ${bucket.label} AS local_start, s.model, s.api_key_fingerprint,
      ${counters.map((c) => `sum(s.${c})::text AS ${c}`).join(', ')}
    FROM (${slots}) s
    GROUP BY 1, 2, 3, s.model, s.api_key_fingerprint
    HAVING sum(s.requests) <> 0
    ORDER BY 1, 4, 5`
  return { text, values }
}
