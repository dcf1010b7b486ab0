import type { MigrationInterface, QueryRunner } from 'typeorm'

/** The exchange log: `requests` (one row per /v1/* exchange) and `stream_chunks` (its SSE events). */
export class CreateRequests1795588273908 implements MigrationInterface {
  name = 'CreateRequests1795588273908'

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "requests" ("id" uuid NOT NULL, "status" text NOT NULL, "started_at" TIMESTAMP WITH TIME ZONE NOT NULL, "completed_at" TIMESTAMP WITH TIME ZONE, "method" text NOT NULL, "path" text NOT NULL, "query" text, "user_agent" text, "model" text, "routed_model" text, "provider" text NOT NULL, "stream" boolean NOT NULL, "http_status" integer, "upstream_request_id" text, "stop_reason" text, "error" text, "error_code" text, "response_headers_ms" double precision, "ttfb_ms" double precision, "duration_ms" double precision, "request_headers" jsonb NOT NULL, "request_body" text NOT NULL, "request_body_bytes" integer NOT NULL, "request_body_is_json" boolean NOT NULL, "response_headers" jsonb, "response_body" text, "response_sse" text, "response_body_bytes" integer, "input_tokens" bigint, "output_tokens" bigint, "cache_creation_input_tokens" bigint, "cache_creation_5m_input_tokens" bigint, "cache_creation_1h_input_tokens" bigint, "cache_read_input_tokens" bigint, "thinking_tokens" bigint, "web_search_requests" integer, "web_fetch_requests" integer, "service_tier" text, "api_key_fingerprint" text, "organization_id" text, CONSTRAINT "PK_0428f484e96f9e6a55955f29b5f" PRIMARY KEY ("id"))`,
    )
    await queryRunner.query(`CREATE INDEX "requests_api_key_idx" ON "requests" ("api_key_fingerprint", "started_at")`)
    await queryRunner.query(`CREATE INDEX "requests_status_idx" ON "requests" ("status")`)
    await queryRunner.query(`CREATE INDEX "requests_model_started_at_idx" ON "requests" ("model", "started_at")`)
    await queryRunner.query(`CREATE INDEX "requests_started_at_idx" ON "requests" ("started_at", "id")`)
    await queryRunner.query(
      `CREATE TABLE "stream_chunks" ("request_id" uuid NOT NULL, "seq" integer NOT NULL, "event" text, "data" text NOT NULL, "offset_ms" double precision NOT NULL, "bytes" integer NOT NULL, CONSTRAINT "PK_6cea4d349cbabba4fa7fd6c70ae" PRIMARY KEY ("request_id", "seq"))`,
    )
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "stream_chunks"`)
    await queryRunner.query(`DROP INDEX "public"."requests_started_at_idx"`)
    await queryRunner.query(`DROP INDEX "public"."requests_model_started_at_idx"`)
    await queryRunner.query(`DROP INDEX "public"."requests_status_idx"`)
    await queryRunner.query(`DROP INDEX "public"."requests_api_key_idx"`)
    await queryRunner.query(`DROP TABLE "requests"`)
  }
}
