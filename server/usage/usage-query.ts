import { DIMENSION_OF_REQUEST, ROLLUP_COUNTERS, ROLLUP_GRAINS, ROLLUP_HOUR_MS, ROLLUP_SLOT_MS, USAGE_HOUR_ROLLUPS_TABLE, USAGE_ROLLUPS_TABLE, type RollupDimension } from '../store/tables/usage-rollups.table'

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

const floorTo = (ms: number, step: number) => Math.floor(ms / step) * step
const ceilTo = (ms: number, step: number) => Math.ceil(ms / step) * step
const EPOCH = `TIMESTAMPTZ '2000-01-01 00:00:00+00'`

/**
 * The statement of a usage report. The range [from, to) is read in three parts: whole hours from
 * the hour rollups, whole 15-minute slots around them from the slot rollups, and the partial
 * slots at either end (when from or to is not on a slot boundary) from `requests` itself, through
 * its started_at index, at most 15 minutes each. An hour in which a bucket starts (a day of a
 * +05:30 zone starts at 18:30 UTC; every hour of a +05:45 zone starts at :15) is read from its
 * four slots instead, so every row read lies inside one bucket.
 *
 * Time buckets are listed once, not computed per row (a zone conversion per slot row cost more
 * than the rest of the query): local days and weeks are a series of wall-clock dates, each turned
 * into an instant in the zone, so a DST day lasts 23 or 25 hours; local hours are the 15-minute
 * instants whose local minute is 0, so the two 01:00 hours of a night the clocks go back stay two
 * buckets and :30/:45 zones start hours at :30/:45 UTC. Each row then finds its bucket by binary
 * search among the bucket starts (`width_bucket`).
 */
export function usageStatement(query: UsageQuery): { text: string; values: unknown[] } {
  const { from, to, unit, dimensions, timezone } = query
  const innerFrom = Math.min(ceilTo(from.getTime(), ROLLUP_SLOT_MS), to.getTime())
  const innerTo = Math.max(floorTo(to.getTime(), ROLLUP_SLOT_MS), innerFrom)
  const hourFrom = Math.min(ceilTo(innerFrom, ROLLUP_HOUR_MS), innerTo)
  const hourTo = Math.max(floorTo(innerTo, ROLLUP_HOUR_MS), hourFrom)
  // $1 the grain; $2 to $5 the slot and hour edges; $6 and $7 the range.
  const values: unknown[] = [grainFor(dimensions), ...[innerFrom, hourFrom, hourTo, innerTo].map((ms) => new Date(ms)), from, to]
  const counters = ROLLUP_COUNTERS.map((c) => c.name)
  const kept = (d: RollupDimension) => (dimensions.includes(d) ? d : `''`)
  const rollupColumns = `slot_start, ${kept('model')} AS model, ${kept('api_key_fingerprint')} AS api_key_fingerprint, ${counters.join(', ')}`
  /** The rows of [from, to), each inside one bucket; `split` names the hours a bucket starts in. */
  const slots = (split: string) => `
    SELECT ${rollupColumns} FROM ${USAGE_HOUR_ROLLUPS_TABLE}
    WHERE grain = $1 AND slot_start >= $3 AND slot_start < $4 AND slot_start <> ALL(ARRAY(SELECT hour FROM ${split}))
    UNION ALL
    SELECT ${rollupColumns} FROM ${USAGE_ROLLUPS_TABLE}
    WHERE grain = $1 AND ((slot_start >= $2 AND slot_start < $3) OR (slot_start >= $4 AND slot_start < $5)
      OR slot_start = ANY(ARRAY(SELECT hour + quarter * interval '15 minutes' FROM ${split}, generate_series(0, 3) quarter)))
    UNION ALL
    SELECT date_bin('15 minutes', r.started_at, ${EPOCH}),
      ${dimensions.includes('model') ? DIMENSION_OF_REQUEST.model : `''`}, ${dimensions.includes('api_key_fingerprint') ? DIMENSION_OF_REQUEST.api_key_fingerprint : `''`},
      ${ROLLUP_COUNTERS.map((c) => c.ofRequest).join(', ')}
    FROM requests r WHERE r.status <> 'IN_FLIGHT' AND ((r.started_at >= $6 AND r.started_at < $2) OR (r.started_at >= $5 AND r.started_at < $7))`
  const out = counters.map((c) => `a.${c}::text AS ${c}`).join(', ')
  if (unit === null) {
    const text = `
      SELECT NULL::timestamptz AS bucket_start, NULL::timestamptz AS bucket_end, NULL::text AS local_start, s.model, s.api_key_fingerprint, ${counters.map((c) => `sum(s.${c})::text AS ${c}`).join(', ')}
      FROM (${slots(`(SELECT NULL::timestamptz AS hour WHERE false) split`)}) s GROUP BY s.model, s.api_key_fingerprint HAVING sum(s.requests) <> 0 ORDER BY 4, 5`
    return { text, values }
  }
  // $8 the zone, $9 where the bucket series starts (an hour starts at most 45 minutes before a slot).
  values.push(timezone, unit === 'hour' ? new Date(floorTo(from.getTime(), ROLLUP_SLOT_MS) - 3 * ROLLUP_SLOT_MS) : from)
  const label = (local: string) => `to_char(${local}, 'YYYY-MM-DD"T"HH24:MI:SS')`
  const buckets =
    unit === 'hour'
      ? `SELECT t AS bucket_start, lead(t, 1, t + interval '1 hour') OVER (ORDER BY t) AS bucket_end, ${label('t AT TIME ZONE $8')} AS local_start
         FROM generate_series($9::timestamptz, $7::timestamptz, interval '15 minutes') t
         WHERE date_trunc('hour', t AT TIME ZONE $8) = t AT TIME ZONE $8`
      : `SELECT d AT TIME ZONE $8 AS bucket_start, (d + interval '1 ${unit}') AT TIME ZONE $8 AS bucket_end, ${label('d')} AS local_start
         FROM generate_series(date_trunc('${unit}', $9::timestamptz AT TIME ZONE $8), $7::timestamptz AT TIME ZONE $8, interval '1 ${unit}') d`
  const sums = counters.map((c) => `sum(s.${c}) AS ${c}`).join(', ')
  const text = `
    WITH b AS (SELECT row_number() OVER (ORDER BY bucket_start) AS idx, bucket_start, bucket_end, local_start FROM (${buckets}) g),
    starts AS (SELECT array_agg(bucket_start ORDER BY bucket_start) AS starts FROM b),
    split AS (
      SELECT DISTINCT date_bin('1 hour', bucket_start, ${EPOCH}) AS hour FROM b
      WHERE bucket_start <> date_bin('1 hour', bucket_start, ${EPOCH}) AND bucket_start > $3 AND bucket_start < $4),
    a AS (
      SELECT width_bucket(s.slot_start, starts.starts) AS idx, s.model, s.api_key_fingerprint, ${sums}
      FROM (${slots('split')}) s, starts GROUP BY 1, 2, 3 HAVING sum(s.requests) <> 0)
    SELECT b.bucket_start, b.bucket_end, b.local_start, a.model, a.api_key_fingerprint, ${out}
    FROM a JOIN b USING (idx) ORDER BY 1, 4, 5`
  return { text, values }
}
