import type { MigrationInterface, QueryRunner } from 'typeorm'

/**
 * `claude_code_events` and `claude_code_metric_points`: what Claude Code exports of itself over
 * OTLP. No foreign key to `requests`: they join by session id and by time, and either side may be
 * stored first or pruned on its own. A retried export stores an event once (same session,
 * sequence, name and instant).
 */
export class ReceiveClaudeCodeTelemetry1797700000000 implements MigrationInterface {
  name = 'ReceiveClaudeCodeTelemetry1797700000000'

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "claude_code_events" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "session_id" text, "prompt_id" text, "event_name" text NOT NULL, "event_sequence" bigint, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "attributes" jsonb NOT NULL, "resource" jsonb NOT NULL, CONSTRAINT "claude_code_events_pkey" PRIMARY KEY ("id"))`,
    )
    await queryRunner.query(`CREATE INDEX "claude_code_events_session_idx" ON "claude_code_events" ("session_id", "occurred_at")`)
    await queryRunner.query(`CREATE INDEX "claude_code_events_occurred_at_idx" ON "claude_code_events" ("occurred_at")`)
    await queryRunner.query(`CREATE UNIQUE INDEX "claude_code_events_once_idx" ON "claude_code_events" ("session_id", "event_sequence", "event_name", "occurred_at")`)
    await queryRunner.query(
      `CREATE TABLE "claude_code_metric_points" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "session_id" text, "metric_name" text NOT NULL, "unit" text, "value" double precision NOT NULL, "is_monotonic" boolean, "temporality" smallint, "started_at" TIMESTAMP WITH TIME ZONE, "observed_at" TIMESTAMP WITH TIME ZONE NOT NULL, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "attributes" jsonb NOT NULL, "resource" jsonb NOT NULL, CONSTRAINT "claude_code_metric_points_pkey" PRIMARY KEY ("id"))`,
    )
    await queryRunner.query(`CREATE INDEX "claude_code_metric_points_session_idx" ON "claude_code_metric_points" ("session_id", "observed_at")`)
    await queryRunner.query(`CREATE INDEX "claude_code_metric_points_observed_at_idx" ON "claude_code_metric_points" ("observed_at")`)
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "claude_code_metric_points"`)
    await queryRunner.query(`DROP TABLE "claude_code_events"`)
  }
}
