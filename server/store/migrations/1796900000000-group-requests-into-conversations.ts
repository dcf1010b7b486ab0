import type { MigrationInterface, QueryRunner } from 'typeorm'

/**
 * Conversations and their threads, derived from captured requests as they are written (see
 * conversations/grouper): a conversation row with the totals its list shows, a row per thread
 * (main agent, subagent, side calls), each thread's messages once each (a content id per position,
 * with the request that introduced it and the key grouping matches it by, so a restarted process
 * finds its threads again), and each request's place. Totals are stored, not summed
 * when read, so a list of thousands of conversations reads one index.
 */
export class GroupRequestsIntoConversations1796900000000 implements MigrationInterface {
  name = 'GroupRequestsIntoConversations1796900000000'

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "conversations" ("id" uuid NOT NULL, "session_key" text, "session_source" text NOT NULL, "title" text,
        "started_at" timestamp with time zone NOT NULL, "last_activity_at" timestamp with time zone NOT NULL,
        "request_count" integer NOT NULL DEFAULT 0, "models" text array NOT NULL DEFAULT '{}',
        "input_tokens" bigint NOT NULL DEFAULT 0, "output_tokens" bigint NOT NULL DEFAULT 0,
        "cache_creation_input_tokens" bigint NOT NULL DEFAULT 0, "cache_read_input_tokens" bigint NOT NULL DEFAULT 0,
        CONSTRAINT "PK_conversations" PRIMARY KEY ("id"))`,
    )
    await queryRunner.query(`CREATE INDEX "conversations_last_activity_idx" ON "conversations" ("last_activity_at" DESC, "id" DESC)`)
    await queryRunner.query(`CREATE INDEX "conversations_session_key_idx" ON "conversations" ("session_key")`)
    await queryRunner.query(
      `CREATE TABLE "conversation_threads" ("id" uuid NOT NULL, "conversation_id" uuid NOT NULL, "kind" text NOT NULL,
        "parent_thread_id" uuid, "parent_tool_use_id" text, "agent_id" text, "purpose" text, "system_key" text,
        "started_at" timestamp with time zone NOT NULL, "last_activity_at" timestamp with time zone NOT NULL,
        "request_count" integer NOT NULL DEFAULT 0, "message_count" integer NOT NULL DEFAULT 0,
        CONSTRAINT "PK_conversation_threads" PRIMARY KEY ("id"))`,
    )
    await queryRunner.query(`CREATE INDEX "conversation_threads_conversation_idx" ON "conversation_threads" ("conversation_id", "started_at")`)
    await queryRunner.query(
      `CREATE TABLE "conversation_messages" ("thread_id" uuid NOT NULL, "position" integer NOT NULL, "content_id" uuid NOT NULL,
        "request_id" uuid NOT NULL, "role" text, "message_key" text NOT NULL, CONSTRAINT "PK_conversation_messages" PRIMARY KEY ("thread_id", "position"))`,
    )
    await queryRunner.query(
      `CREATE TABLE "conversation_requests" ("request_id" uuid NOT NULL, "conversation_id" uuid NOT NULL, "thread_id" uuid NOT NULL,
        "started_at" timestamp with time zone NOT NULL, "message_count" integer NOT NULL, "new_message_count" integer NOT NULL,
        CONSTRAINT "PK_conversation_requests" PRIMARY KEY ("request_id"))`,
    )
    await queryRunner.query(`CREATE INDEX "conversation_requests_conversation_idx" ON "conversation_requests" ("conversation_id", "started_at")`)
    await queryRunner.query(`CREATE INDEX "conversation_requests_thread_idx" ON "conversation_requests" ("thread_id", "started_at")`)
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "conversation_requests"`)
    await queryRunner.query(`DROP TABLE "conversation_messages"`)
    await queryRunner.query(`DROP TABLE "conversation_threads"`)
    await queryRunner.query(`DROP TABLE "conversations"`)
  }
}
