import type { MigrationInterface, QueryRunner } from 'typeorm'

/**
 * `rate_limit_snapshots`: what each response's rate-limit headers said (standard and unified
 * families, retry-after, and all of them verbatim), one row per request, as a time series per
 * organization and API-key fingerprint. Indexed for the latest point of each series (read by
 * skipping from one series to the next, so it costs a few reads per series however long the
 * series grow) and for an organization's points in time order (quota attribution).
 */
export class RecordRateLimitSnapshots1797100000000 implements MigrationInterface {
  name = 'RecordRateLimitSnapshots1797100000000'

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "rate_limit_snapshots" ("request_id" uuid NOT NULL, "observed_at" TIMESTAMP WITH TIME ZONE NOT NULL, "organization_id" text, "api_key_fingerprint" text, "model" text, "http_status" integer NOT NULL, "requests_limit" bigint, "requests_remaining" bigint, "requests_reset" TIMESTAMP WITH TIME ZONE, "tokens_limit" bigint, "tokens_remaining" bigint, "tokens_reset" TIMESTAMP WITH TIME ZONE, "input_tokens_limit" bigint, "input_tokens_remaining" bigint, "input_tokens_reset" TIMESTAMP WITH TIME ZONE, "output_tokens_limit" bigint, "output_tokens_remaining" bigint, "output_tokens_reset" TIMESTAMP WITH TIME ZONE, "unified_status" text, "unified_reset" TIMESTAMP WITH TIME ZONE, "unified_remaining" bigint, "unified_representative_claim" text, "unified_5h_utilization" double precision, "unified_5h_reset" TIMESTAMP WITH TIME ZONE, "unified_5h_status" text, "unified_7d_utilization" double precision, "unified_7d_reset" TIMESTAMP WITH TIME ZONE, "unified_7d_status" text, "unified_fallback" text, "unified_fallback_percentage" double precision, "unified_overage_status" text, "unified_overage_reason" text, "unified_overage_disabled_reason" text, "unified_overage_utilization" double precision, "unified_overage_reset" TIMESTAMP WITH TIME ZONE, "retry_after_seconds" double precision, "headers" jsonb NOT NULL, CONSTRAINT "PK_rate_limit_snapshots" PRIMARY KEY ("request_id"))`,
    )
    await queryRunner.query(`CREATE INDEX "rate_limit_snapshots_organization_idx" ON "rate_limit_snapshots" ("organization_id", "observed_at")`)
    // On the series' names with absent ones as '', so one series follows the next in the index
    // (a row comparison never matches a null): the latest of each is found in a few reads each.
    await queryRunner.query(
      `CREATE INDEX "rate_limit_snapshots_series_idx" ON "rate_limit_snapshots" ((coalesce("organization_id", '')), (coalesce("api_key_fingerprint", '')), "observed_at")`,
    )
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."rate_limit_snapshots_series_idx"`)
    await queryRunner.query(`DROP INDEX "public"."rate_limit_snapshots_organization_idx"`)
    await queryRunner.query(`DROP TABLE "rate_limit_snapshots"`)
  }
}
