import type { ContentRun } from '../contents/content-runs'
import type { ColumnDescription } from './column'

export const CONTENT_RUNS_TABLE = 'content_runs'

/** The columns a write binds for one run of part ids; `last_used_at` is the database's to set, as for contents. */
export const CONTENT_RUN_COLUMNS: ReadonlyArray<ColumnDescription<ContentRun>> = [
  { name: 'id', sqlType: 'uuid', property: 'id', bind: (run) => run.id },
  { name: 'content_ids', sqlType: 'uuid[]', property: 'contentIds', bind: (run) => run.contentIds },
]

/**
 * A scalar subquery giving the part ids of the `requests` row aliased `row`, expanded from its runs
 * in order and comma-separated; NULL for a body stored whole.
 */
export function partIdListSql(row: string): string {
  return `SELECT string_agg(part.id::text, ',' ORDER BY run_at.ord, part.ord)
    FROM unnest(${row}.request_body_content_runs) WITH ORDINALITY AS run_at (id, ord)
    JOIN ${CONTENT_RUNS_TABLE} run ON run.id = run_at.id
    CROSS JOIN unnest(run.content_ids) WITH ORDINALITY AS part (id, ord)`
}
