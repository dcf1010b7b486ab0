import type { MigrationInterface, QueryRunner } from 'typeorm'

/**
 * Turns imported from Claude Code transcripts, and conversation costs. An imported turn is an API
 * call Claude Code recorded in its transcript that no captured request stands for: it has its
 * place in a conversation like a request (`conversation_requests`, keyed by the turn's own id) and
 * its own row here, since there was no HTTP exchange to store. Its id is derived from the session
 * and the transcript entry, so importing a file again writes nothing new. Request ids are plain
 * uuid columns, never foreign keys to `requests`.
 *
 * Conversations keep their cost beside their token totals: the sum of their priced turns, and how
 * many turns could not be priced (an unknown model), so a total is never shown as if complete.
 * Threads are found by their first message, so a conversation without a session goes on after a
 * restart: an index serves that look-up.
 */
export class ImportTranscriptsAndTotalCosts1797550000000 implements MigrationInterface {
  name = 'ImportTranscriptsAndTotalCosts1797550000000'

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "imported_turns" ("id" uuid NOT NULL, "session_key" text NOT NULL, "message_id" text, "upstream_request_id" text,
        "started_at" timestamp with time zone NOT NULL, "completed_at" timestamp with time zone, "model" text, "stop_reason" text,
        "input_tokens" bigint, "output_tokens" bigint, "cache_creation_input_tokens" bigint, "cache_read_input_tokens" bigint,
        "service_tier" text, "cost_usd" numeric, "cost_status" text, "source_file" text NOT NULL, "source_line" integer NOT NULL,
        "imported_at" timestamp with time zone NOT NULL DEFAULT now(), CONSTRAINT "PK_imported_turns" PRIMARY KEY ("id"))`,
    )
    await queryRunner.query(`CREATE INDEX "imported_turns_upstream_request_idx" ON "imported_turns" ("upstream_request_id")`)
    await queryRunner.query(`CREATE INDEX "conversation_messages_first_key_idx" ON "conversation_messages" ("message_key") WHERE "position" = 0`)
    await queryRunner.query(
      `ALTER TABLE "conversations" ADD "cost_usd" numeric, ADD "unpriced_turn_count" integer NOT NULL DEFAULT 0, ADD "imported_turn_count" integer NOT NULL DEFAULT 0`,
    )
    // Conversations stored before have their cost counted once here, so none reads as $0 meanwhile.
    await queryRunner.query(
      `UPDATE "conversations" c SET "cost_usd" = s.cost_usd, "unpriced_turn_count" = s.unpriced
       FROM (SELECT cr.conversation_id, sum(r.cost_usd) AS cost_usd,
           (count(*) FILTER (WHERE r.status <> 'IN_FLIGHT' AND COALESCE(r.cost_status, 'UNKNOWN_MODEL') = 'UNKNOWN_MODEL'))::integer AS unpriced
         FROM "conversation_requests" cr JOIN "requests" r ON r.id = cr.request_id GROUP BY cr.conversation_id) s
       WHERE c.id = s.conversation_id`,
    )
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM "conversation_requests" cr USING "imported_turns" i WHERE i.id = cr.request_id`)
    await queryRunner.query(`ALTER TABLE "conversations" DROP COLUMN "imported_turn_count", DROP COLUMN "unpriced_turn_count", DROP COLUMN "cost_usd"`)
    await queryRunner.query(`DROP INDEX "conversation_messages_first_key_idx"`)
    await queryRunner.query(`DROP TABLE "imported_turns"`)
  }
}
