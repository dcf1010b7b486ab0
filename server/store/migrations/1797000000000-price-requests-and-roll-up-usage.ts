import type { MigrationInterface, QueryRunner } from 'typeorm'

/** Counters of a rollup row, each with the expression over a `requests` row `r` that feeds it. */
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
const COUNTER_NAMES = COUNTERS.map(([name]) => `"${name}"`).join(', ')
const signed = COUNTERS.map(([, expression]) => `sign * (${expression})`).join(', ')

/** Columns of `requests` whose change moves a finished row's contribution to the rollups. */
const ROLLED_UP_COLUMNS = ['status', 'started_at', 'model', 'routed_model', 'api_key_fingerprint', 'cost_usd', 'cost_status', 'input_tokens', 'output_tokens',
  'cache_creation_input_tokens', 'cache_creation_5m_input_tokens', 'cache_creation_1h_input_tokens', 'cache_read_input_tokens', 'thinking_tokens',
  'web_search_requests', 'web_fetch_requests']

/**
 * Cost and usage rollups.
 *
 * `requests` gains the region a model ran in (`inference_geo`, priced 1.1x for `us`) and its cost:
 * `cost_usd` (exact numeric), the price row it was computed with (`price_id`) and why it is what
 * it is (`cost_status`). Finished rows the writer has not priced yet (older rows, or rows written
 * while the price book could not load) are found through a small partial index.
 *
 * `price_overrides` holds the prices set through the API; the shipped price book lives in code.
 *
 * `usage_rollups` holds, per 15-minute slot (UTC), the sums of finished requests at three grains:
 * per model, per API-key fingerprint and per both. 15 minutes because every current IANA zone's
 * offset is a multiple of it (India +5:30, Nepal +5:45, Chatham +12:45), so local hours, days and
 * weeks in any zone, DST days of 23 or 25 hours included, are unions of whole slots. Triggers keep
 * the rollups equal to the rows in the same transaction as every write (the capture writer's
 * completion, a re-cost, retention's deletes), subtracting a row's old contribution and adding its
 * new one, so a request is counted once it is done and exactly once however often it is written.
 */
export class PriceRequestsAndRollUpUsage1797000000000 implements MigrationInterface {
  name = 'PriceRequestsAndRollUpUsage1797000000000'

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "requests" ADD "inference_geo" text`)
    await queryRunner.query(`ALTER TABLE "requests" ADD "cost_usd" numeric`)
    await queryRunner.query(`ALTER TABLE "requests" ADD "price_id" text`)
    await queryRunner.query(`ALTER TABLE "requests" ADD "cost_status" text`)
    await queryRunner.query(`CREATE INDEX "requests_uncosted_idx" ON "requests" ("started_at", "id") WHERE "cost_status" IS NULL AND "status" <> 'IN_FLIGHT'`)

    await queryRunner.query(
      `CREATE TABLE "price_overrides" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "model" text NOT NULL,
        "effective_from" timestamptz NOT NULL,
        "min_input_tokens" bigint NOT NULL DEFAULT 0,
        "input_usd_per_mtok" numeric NOT NULL,
        "output_usd_per_mtok" numeric NOT NULL,
        "cache_write_5m_usd_per_mtok" numeric NOT NULL,
        "cache_write_1h_usd_per_mtok" numeric NOT NULL,
        "cache_read_usd_per_mtok" numeric NOT NULL,
        "batch_multiplier" numeric NOT NULL,
        "geo_multipliers" jsonb NOT NULL DEFAULT '{}',
        "web_search_usd_per_thousand" numeric NOT NULL,
        "note" text,
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_price_overrides" PRIMARY KEY ("id"),
        CONSTRAINT "price_overrides_version" UNIQUE ("model", "effective_from", "min_input_tokens"))`,
    )

    await queryRunner.query(
      `CREATE TABLE "usage_rollups" (
        "grain" text NOT NULL,
        "slot_start" timestamptz NOT NULL,
        "model" text NOT NULL,
        "api_key_fingerprint" text NOT NULL,
        ${COUNTERS.map(([name]) => `"${name}" ${name === 'cost_usd' ? 'numeric' : 'bigint'} NOT NULL DEFAULT 0`).join(',\n        ')},
        CONSTRAINT "PK_usage_rollups" PRIMARY KEY ("grain", "slot_start", "model", "api_key_fingerprint"))`,
    )
    // One row per grain: per model (no key), per key (no model), per both. A grain is a filter on
    // the primary key's first column, so a report reads only its own rows.
    await queryRunner.query(
      `CREATE FUNCTION usage_rollups_add(r requests, sign integer) RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        slot timestamptz := date_bin('15 minutes', r.started_at, TIMESTAMPTZ '2000-01-01 00:00:00+00');
        m text := ${MODEL};
        k text := ${KEY};
      BEGIN
        INSERT INTO usage_rollups AS u ("grain", "slot_start", "model", "api_key_fingerprint", ${COUNTER_NAMES})
        VALUES ('model', slot, m, '', ${signed}), ('api_key', slot, '', k, ${signed}), ('model_api_key', slot, m, k, ${signed})
        ON CONFLICT ("grain", "slot_start", "model", "api_key_fingerprint") DO UPDATE SET
          ${COUNTERS.map(([name]) => `"${name}" = u."${name}" + EXCLUDED."${name}"`).join(', ')};
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
    await queryRunner.query(
      `CREATE TRIGGER "requests_roll_up_updates" AFTER UPDATE ON "requests" FOR EACH ROW
       WHEN ((${ROLLED_UP_COLUMNS.map((c) => `OLD."${c}"`).join(', ')}) IS DISTINCT FROM (${ROLLED_UP_COLUMNS.map((c) => `NEW."${c}"`).join(', ')}))
       EXECUTE FUNCTION usage_rollups_apply()`,
    )
    await queryRunner.query(`CREATE TRIGGER "requests_roll_up_deletes" AFTER DELETE ON "requests" FOR EACH ROW WHEN (OLD.status <> 'IN_FLIGHT') EXECUTE FUNCTION usage_rollups_apply()`)
    // Rows already there, one grouped insert per grain (a call per row would take minutes on a large table).
    for (const [grain, model, key] of [['model', MODEL, `''`], ['api_key', `''`, KEY], ['model_api_key', MODEL, KEY]]) {
      await queryRunner.query(
        `INSERT INTO usage_rollups ("grain", "slot_start", "model", "api_key_fingerprint", ${COUNTER_NAMES})
         SELECT '${grain}', date_bin('15 minutes', r.started_at, TIMESTAMPTZ '2000-01-01 00:00:00+00'), ${model}, ${key}, ${COUNTERS.map(([, expression]) => `sum(${expression})`).join(', ')}
         FROM "requests" r WHERE r.status <> 'IN_FLIGHT' GROUP BY 2, 3, 4`,
      )
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "requests_roll_up_deletes" ON "requests"`)
    await queryRunner.query(`DROP TRIGGER "requests_roll_up_updates" ON "requests"`)
    await queryRunner.query(`DROP TRIGGER "requests_roll_up_inserts" ON "requests"`)
    await queryRunner.query(`DROP FUNCTION usage_rollups_apply()`)
    await queryRunner.query(`DROP FUNCTION usage_rollups_add(requests, integer)`)
    await queryRunner.query(`DROP TABLE "usage_rollups"`)
    await queryRunner.query(`DROP TABLE "price_overrides"`)
    await queryRunner.query(`DROP INDEX "requests_uncosted_idx"`)
    await queryRunner.query(`ALTER TABLE "requests" DROP COLUMN "cost_status"`)
    await queryRunner.query(`ALTER TABLE "requests" DROP COLUMN "price_id"`)
    await queryRunner.query(`ALTER TABLE "requests" DROP COLUMN "cost_usd"`)
    await queryRunner.query(`ALTER TABLE "requests" DROP COLUMN "inference_geo"`)
  }
}
