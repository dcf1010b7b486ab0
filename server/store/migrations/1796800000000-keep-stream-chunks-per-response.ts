import type { MigrationInterface, QueryRunner } from 'typeorm'

/** One event framed as `frameSseEvent` frames it, in SQL over a row of the old `stream_chunks`. */
const FRAMED_EVENT = `CASE WHEN c.event IS NULL THEN '' ELSE 'event: ' || c.event || E'\\n' END || 'data: ' || replace(c.data, E'\\n', E'\\ndata: ') || E'\\n\\n'`

/**
 * `stream_chunks` holds one row per streamed response, its events in arrays (an event's seq is its
 * index), instead of one row per event: a row header and an index entry per event cost as much as
 * the event itself, and small rows never compress. `requests.response_sse` is no longer stored
 * when it is exactly the response's chunks framed (`response_sse_from_chunks`), which is the rule
 * for a stream capture kept whole. Existing rows are moved, and moved back by `down`.
 */
export class KeepStreamChunksPerResponse1796800000000 implements MigrationInterface {
  name = 'KeepStreamChunksPerResponse1796800000000'

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "stream_chunks" RENAME TO "stream_chunks_by_event"`)
    await queryRunner.query(`ALTER TABLE "stream_chunks_by_event" RENAME CONSTRAINT "PK_6cea4d349cbabba4fa7fd6c70ae" TO "PK_stream_chunks_by_event"`)
    await queryRunner.query(
      `CREATE TABLE "stream_chunks" ("request_id" uuid NOT NULL, "events" text array NOT NULL, "data" text array NOT NULL, "offsets_ms" double precision array NOT NULL, "bytes" integer array NOT NULL, CONSTRAINT "PK_stream_chunks" PRIMARY KEY ("request_id"))`,
    )
    await queryRunner.query(
      `DO $$ BEGIN ALTER TABLE "stream_chunks" ALTER COLUMN "data" SET COMPRESSION lz4; EXCEPTION WHEN feature_not_supported THEN RAISE NOTICE 'lz4 is not available in this PostgreSQL build; stream chunks stay compressed with pglz'; END $$`,
    )
    await queryRunner.query(`ALTER TABLE "requests" ADD "response_sse_from_chunks" boolean NOT NULL DEFAULT false`)
    await queryRunner.query(
      `INSERT INTO "stream_chunks" ("request_id", "events", "data", "offsets_ms", "bytes")
       SELECT c.request_id, array_agg(c.event ORDER BY c.seq), array_agg(c.data ORDER BY c.seq), array_agg(c.offset_ms ORDER BY c.seq), array_agg(c.bytes ORDER BY c.seq)
       FROM "stream_chunks_by_event" c GROUP BY c.request_id`,
    )
    await queryRunner.query(
      `UPDATE "requests" r SET "response_sse" = NULL, "response_sse_from_chunks" = true
       FROM (SELECT c.request_id, string_agg(${FRAMED_EVENT}, '' ORDER BY c.seq) AS sse FROM "stream_chunks_by_event" c GROUP BY c.request_id) f
       WHERE r."id" = f.request_id AND r."response_sse" = f.sse`,
    )
    await queryRunner.query(`DROP TABLE "stream_chunks_by_event"`)
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "stream_chunks" RENAME TO "stream_chunks_by_response"`)
    await queryRunner.query(`ALTER TABLE "stream_chunks_by_response" RENAME CONSTRAINT "PK_stream_chunks" TO "PK_stream_chunks_by_response"`)
    await queryRunner.query(
      `CREATE TABLE "stream_chunks" ("request_id" uuid NOT NULL, "seq" integer NOT NULL, "event" text, "data" text NOT NULL, "offset_ms" double precision NOT NULL, "bytes" integer NOT NULL, CONSTRAINT "PK_6cea4d349cbabba4fa7fd6c70ae" PRIMARY KEY ("request_id", "seq"))`,
    )
    await queryRunner.query(
      `DO $$ BEGIN ALTER TABLE "stream_chunks" ALTER COLUMN "data" SET COMPRESSION lz4; EXCEPTION WHEN feature_not_supported THEN RAISE NOTICE 'lz4 is not available in this PostgreSQL build'; END $$`,
    )
    await queryRunner.query(
      `INSERT INTO "stream_chunks" ("request_id", "seq", "event", "data", "offset_ms", "bytes")
       SELECT s.request_id, e.seq - 1, e.event, e.data, e.offset_ms, e.bytes
       FROM "stream_chunks_by_response" s, unnest(s.events, s.data, s.offsets_ms, s.bytes) WITH ORDINALITY AS e (event, data, offset_ms, bytes, seq)`,
    )
    await queryRunner.query(
      `UPDATE "requests" r SET "response_sse" = f.sse
       FROM (SELECT c.request_id, string_agg(${FRAMED_EVENT}, '' ORDER BY c.seq) AS sse FROM "stream_chunks" c GROUP BY c.request_id) f
       WHERE r."id" = f.request_id AND r."response_sse_from_chunks"`,
    )
    await queryRunner.query(`ALTER TABLE "requests" DROP COLUMN "response_sse_from_chunks"`)
    await queryRunner.query(`DROP TABLE "stream_chunks_by_response"`)
  }
}
