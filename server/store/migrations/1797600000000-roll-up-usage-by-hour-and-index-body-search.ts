import type { MigrationInterface, QueryRunner } from 'typeorm'

/**
 * Counters of a rollup row, each with the expression over a `requests` row `r` that feeds it, as
 * the migration that created the rollups has them: a migration keeps its own copy, so later
 * changes to the code of the tables never change what it does.
 */
const COUNTERS: ReadonlyArray<[string, string]> = [
  ['requests', '1'],
  ['input_tokens', 'coalesce(r.input_tokens, 0)'],
  ['output_tokens', 'coalesce(r.output_tokens, 0)'],
  ['cache_creation_input_tokens', 'coalesce(r.cache_creation_input_tokens, 0)'],
  ['cache_creation_5m_input_tokens', 'coalesce(r.cache_creation_5m_input_tokens, 0)'],
  ['cache_creation_1h_input_tokens', 'coalesce(r.cache_creation_1h_input_tokens, 0)'],
  ['cache_read_input_tokens', 'coalesce(r.cache_read_input_tokens, 0)'],
  ['thinking_tokens', 'coalesce(r.thinking_tokens, 0)'],
  ['web_search_requests', 'coalesce(r.web_search_requests, 0)'],
  ['web_fetch_requests', 'coalesce(r.web_fetch_requests, 0)'],
  ['cost_usd', 'coalesce(r.cost_usd, 0)'],
  ['unpriced_requests', `CASE WHEN r.cost_status = 'UNKNOWN_MODEL' THEN 1 ELSE 0 END`],
]

const MODEL = `coalesce(r.routed_model, r.model, '')`
const KEY = `coalesce(r.api_key_fingerprint, '')`
const EPOCH = `TIMESTAMPTZ '2000-01-01 00:00:00+00'`
const COUNTER_NAMES = COUNTERS.map(([name]) => `"${name}"`).join(', ')
const ADD_EXCLUDED = COUNTERS.map(([name]) => `"${name}" = u."${name}" + EXCLUDED."${name}"`).join(', ')
const ROLLUP_KEY = `("grain", "slot_start", "model", "api_key_fingerprint")`

/** Columns of `requests` whose change moves a finished row's contribution to the rollups. */
const ROLLED_UP_COLUMNS = ['status', 'started_at', 'model', 'routed_model', 'api_key_fingerprint', 'cost_usd', 'cost_status', 'input_tokens', 'output_tokens',
  'cache_creation_input_tokens', 'cache_creation_5m_input_tokens', 'cache_creation_1h_input_tokens', 'cache_read_input_tokens', 'thinking_tokens',
  'web_search_requests', 'web_fetch_requests']
const rolledUp = (alias: string) => `(${ROLLED_UP_COLUMNS.map((c) => `${alias}."${c}"`).join(', ')})`
const MOVED = `${rolledUp('o')} IS DISTINCT FROM ${rolledUp('n')}`

/** The finished rows a statement changed, as `requests` rows with a `sign`: -1 for what they were, 1 for what they are. */
const CHANGED_ROWS: Record<'INSERT' | 'UPDATE' | 'DELETE', string> = {
  INSERT: `SELECT 1 AS sign, n.* FROM new_rows n WHERE n.status <> 'IN_FLIGHT'`,
  UPDATE: `SELECT -1 AS sign, o.* FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o.status <> 'IN_FLIGHT' AND ${MOVED}
    UNION ALL SELECT 1 AS sign, n.* FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE n.status <> 'IN_FLIGHT' AND ${MOVED}`,
  DELETE: `SELECT -1 AS sign, o.* FROM old_rows o WHERE o.status <> 'IN_FLIGHT'`,
}

/**
 * Adds the changed rows' sums to `table`'s slots of `width`, one row per grain and slot. The
 * upsert takes its rows' locks in key order, the same order in every writer, so writers and
 * retention touching the same slots wait for one another instead of deadlocking.
 */
function addChanges(table: string, width: string, changed: string): string {
  const sums = COUNTERS.map(([, expression]) => `sum(r.sign * (${expression}))`)
  return `INSERT INTO "${table}" AS u ("grain", "slot_start", "model", "api_key_fingerprint", ${COUNTER_NAMES})
    SELECT g.grain, date_bin('${width}', r.started_at, ${EPOCH}), g.model, g.api_key_fingerprint, ${sums.join(', ')}
    FROM (${changed}) r
    CROSS JOIN LATERAL (VALUES ('model', ${MODEL}, ''), ('api_key', '', ${KEY}), ('model_api_key', ${MODEL}, ${KEY})) AS g (grain, model, api_key_fingerprint)
    GROUP BY 1, 2, 3, 4 HAVING (${sums.join(', ')}) IS DISTINCT FROM (${sums.map(() => '0').join(', ')})
    ORDER BY 1, 2, 3, 4
    ON CONFLICT ${ROLLUP_KEY} DO UPDATE SET ${ADD_EXCLUDED}`
}

/** Both rollup levels, the 15-minute one first, in every writer. */
const addToBothLevels = (changed: string) => `${addChanges('usage_rollups', '15 minutes', changed)};\n${addChanges('usage_hour_rollups', '1 hour', changed)};`

/**
 * A coarser rollup level, and indexes for the text search over bodies.
 *
 * `usage_hour_rollups` holds the same sums as `usage_rollups` per UTC hour. A report reads an hour
 * row wherever no bucket boundary falls inside that hour: every hour for a zone whose offset is
 * whole hours (days, weeks and DST days of 23 or 25 hours included), all but the hour where a
 * day starts for +05:30 or +05:45 zones. The 15-minute level is for those hours, hour buckets
 * in such zones, and the ends of a range. A month by day reads 720 slots instead of 2,880.
 *
 * The per-row triggers become per-statement ones over the statement's transition tables: one
 * grouped upsert per level and statement instead of three per row, in the rollups' key order (see
 * addChanges), still in the writer's transaction.
 *
 * pg_trgm's GIN indexes serve `ILIKE '%text%'` on the body parts (`contents.text`), the request
 * skeletons and the response bodies; a GIN index on `request_body_content_ids` finds the
 * requests that use a matching part.
 */
export class RollUpUsageByHourAndIndexBodySearch1797600000000 implements MigrationInterface {
  name = 'RollUpUsageByHourAndIndexBodySearch1797600000000'

  public async up(queryRunner: QueryRunner): Promise<void> {
    // The index builds first: they hold off writes (capture spools meanwhile) but not reads, which
    // the trigger changes after them hold off only until the commit.
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`)
    await queryRunner.query(`CREATE INDEX "contents_text_trgm_idx" ON "contents" USING gin ("text" gin_trgm_ops)`)
    await queryRunner.query(`CREATE INDEX "requests_request_body_trgm_idx" ON "requests" USING gin ("request_body" gin_trgm_ops)`)
    await queryRunner.query(`CREATE INDEX "requests_response_body_trgm_idx" ON "requests" USING gin ("response_body" gin_trgm_ops)`)
    await queryRunner.query(`CREATE INDEX "requests_content_ids_idx" ON "requests" USING gin ("request_body_content_ids")`)

    await queryRunner.query(`DROP TRIGGER "requests_roll_up_deletes" ON "requests"`)
    await queryRunner.query(`DROP TRIGGER "requests_roll_up_updates" ON "requests"`)
    await queryRunner.query(`DROP TRIGGER "requests_roll_up_inserts" ON "requests"`)
    await queryRunner.query(`DROP FUNCTION usage_rollups_apply()`)
    await queryRunner.query(`DROP FUNCTION usage_rollups_add(requests, integer)`)

    await queryRunner.query(`CREATE TABLE "usage_hour_rollups" (LIKE "usage_rollups" INCLUDING DEFAULTS, CONSTRAINT "PK_usage_hour_rollups" PRIMARY KEY ${ROLLUP_KEY})`)
    await queryRunner.query(
      `INSERT INTO "usage_hour_rollups" ("grain", "slot_start", "model", "api_key_fingerprint", ${COUNTER_NAMES})
       SELECT "grain", date_bin('1 hour', "slot_start", ${EPOCH}), "model", "api_key_fingerprint", ${COUNTERS.map(([name]) => `sum("${name}")`).join(', ')}
       FROM "usage_rollups" GROUP BY 1, 2, 3, 4`,
    )
    await queryRunner.query(
      `CREATE FUNCTION usage_rollups_apply_changes() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          ${addToBothLevels(CHANGED_ROWS.INSERT)}
        ELSIF TG_OP = 'UPDATE' THEN
          ${addToBothLevels(CHANGED_ROWS.UPDATE)}
        ELSE
          ${addToBothLevels(CHANGED_ROWS.DELETE)}
        END IF;
        RETURN NULL;
      END $$`,
    )
    await queryRunner.query(`CREATE TRIGGER "requests_roll_up_inserts" AFTER INSERT ON "requests" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION usage_rollups_apply_changes()`)
    await queryRunner.query(
      `CREATE TRIGGER "requests_roll_up_updates" AFTER UPDATE ON "requests" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION usage_rollups_apply_changes()`,
    )
    await queryRunner.query(`CREATE TRIGGER "requests_roll_up_deletes" AFTER DELETE ON "requests" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION usage_rollups_apply_changes()`)
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "requests_content_ids_idx"`)
    await queryRunner.query(`DROP INDEX "requests_response_body_trgm_idx"`)
    await queryRunner.query(`DROP INDEX "requests_request_body_trgm_idx"`)
    await queryRunner.query(`DROP INDEX "contents_text_trgm_idx"`)
    await queryRunner.query(`DROP EXTENSION IF EXISTS pg_trgm`)

    await queryRunner.query(`DROP TRIGGER "requests_roll_up_deletes" ON "requests"`)
    await queryRunner.query(`DROP TRIGGER "requests_roll_up_updates" ON "requests"`)
    await queryRunner.query(`DROP TRIGGER "requests_roll_up_inserts" ON "requests"`)
    await queryRunner.query(`DROP FUNCTION usage_rollups_apply_changes()`)
    await queryRunner.query(`DROP TABLE "usage_hour_rollups"`)
    // The per-row triggers as they were.
    const signed = COUNTERS.map(([, expression]) => `sign * (${expression})`).join(', ')
    await queryRunner.query(
      `CREATE FUNCTION usage_rollups_add(r requests, sign integer) RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        slot timestamptz := date_bin('15 minutes', r.started_at, ${EPOCH});
        m text := ${MODEL};
        k text := ${KEY};
      BEGIN
        INSERT INTO usage_rollups AS u ("grain", "slot_start", "model", "api_key_fingerprint", ${COUNTER_NAMES})
        VALUES ('model', slot, m, '', ${signed}), ('api_key', slot, '', k, ${signed}), ('model_api_key', slot, m, k, ${signed})
        ON CONFLICT ${ROLLUP_KEY} DO UPDATE SET ${ADD_EXCLUDED};
      END $$`,
    )
    await queryRunner.query(
      `CREATE FUNCTION usage_rollups_apply() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP <> 'INSERT' AND OLD.status <> 'IN_FLIGHT' THEN PERFORM usage_rollups_add(OLD, -1); END IF;
        IF TG_OP <> 'DELETE' AND NEW.status <> 'IN_FLIGHT' THEN PERFORM usage_rollups_add(NEW, 1); END IF;
        RETURN NULL;
      END $$`,
    )
    await queryRunner.query(`CREATE TRIGGER "requests_roll_up_inserts" AFTER INSERT ON "requests" FOR EACH ROW WHEN (NEW.status <> 'IN_FLIGHT') EXECUTE FUNCTION usage_rollups_apply()`)
    await queryRunner.query(`CREATE TRIGGER "requests_roll_up_updates" AFTER UPDATE ON "requests" FOR EACH ROW WHEN (${rolledUp('OLD')} IS DISTINCT FROM ${rolledUp('NEW')}) EXECUTE FUNCTION usage_rollups_apply()`)
    await queryRunner.query(`CREATE TRIGGER "requests_roll_up_deletes" AFTER DELETE ON "requests" FOR EACH ROW WHEN (OLD.status <> 'IN_FLIGHT') EXECUTE FUNCTION usage_rollups_apply()`)
  }
}
