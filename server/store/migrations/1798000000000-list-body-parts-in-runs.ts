import type { MigrationInterface, QueryRunner } from 'typeorm'
import { runsOf, type ContentRun } from '../contents/content-runs'

/** Rows converted per statement. */
const ROWS_PER_BATCH = 1000

/**
 * `content_runs`: a request row lists the runs its part ids are cut into (see content-runs), each
 * run stored once, instead of every part id of its body. Claude Code resends the whole history on
 * every turn, so each row of a session listed every part before it, and these lists grew with the
 * square of a session's length. Existing lists are converted a batch at a time, with the writer's
 * own hashing, and `down` expands them back.
 */
export class ListBodyPartsInRuns1798000000000 implements MigrationInterface {
  name = 'ListBodyPartsInRuns1798000000000'

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "content_runs" ("id" uuid NOT NULL, "content_ids" uuid array NOT NULL, "last_used_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_content_runs" PRIMARY KEY ("id"))`,
    )
    await queryRunner.query(`CREATE INDEX "content_runs_last_used_at_idx" ON "content_runs" ("last_used_at")`)
    await queryRunner.query(`ALTER TABLE "requests" ADD "request_body_content_runs" uuid array`)
    let after = '00000000-0000-0000-0000-000000000000'
    for (;;) {
      const rows = (await queryRunner.query(
        `SELECT "id", "request_body_content_ids" FROM "requests" WHERE "request_body_content_ids" IS NOT NULL AND "id" > $1 ORDER BY "id" LIMIT $2`,
        [after, ROWS_PER_BATCH],
      )) as Array<{ id: string; request_body_content_ids: string[] }>
      if (rows.length === 0) break
      const runs = new Map<string, ContentRun>()
      const runIds = rows.map((row) => {
        const rowRuns = runsOf(row.request_body_content_ids)
        for (const run of rowRuns) runs.set(run.id, run)
        return rowRuns.map((run) => run.id).join(',')
      })
      await queryRunner.query(
        `INSERT INTO "content_runs" ("id", "content_ids") SELECT v.id, string_to_array(v.ids, ',')::uuid[] FROM unnest($1::uuid[], $2::text[]) AS v (id, ids) ON CONFLICT ("id") DO NOTHING`,
        [[...runs.keys()], [...runs.values()].map((run) => run.contentIds.join(','))],
      )
      // By id alone: a start read into a Date would have lost its microseconds.
      await queryRunner.query(
        `UPDATE "requests" r SET "request_body_content_runs" = string_to_array(v.runs, ',')::uuid[] FROM unnest($1::uuid[], $2::text[]) AS v (id, runs) WHERE r."id" = v.id`,
        [rows.map((row) => row.id), runIds],
      )
      after = rows.at(-1)!.id
    }
    await queryRunner.query(`DROP INDEX "requests_content_ids_idx"`)
    await queryRunner.query(`ALTER TABLE "requests" DROP COLUMN "request_body_content_ids"`)
    await queryRunner.query(`CREATE INDEX "requests_content_runs_idx" ON "requests" USING gin ("request_body_content_runs")`)
    await queryRunner.query(`CREATE INDEX "content_runs_content_ids_idx" ON "content_runs" USING gin ("content_ids")`)
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "requests" ADD "request_body_content_ids" uuid array`)
    await queryRunner.query(
      `UPDATE "requests" r SET "request_body_content_ids" = ARRAY(
         SELECT part.id FROM unnest(r."request_body_content_runs") WITH ORDINALITY AS run_at (id, ord)
         JOIN "content_runs" run ON run."id" = run_at.id CROSS JOIN unnest(run."content_ids") WITH ORDINALITY AS part (id, ord)
         ORDER BY run_at.ord, part.ord)
       WHERE r."request_body_content_runs" IS NOT NULL`,
    )
    await queryRunner.query(`DROP INDEX "requests_content_runs_idx"`)
    await queryRunner.query(`ALTER TABLE "requests" DROP COLUMN "request_body_content_runs"`)
    await queryRunner.query(`CREATE INDEX "requests_content_ids_idx" ON "requests" USING gin ("request_body_content_ids")`)
    await queryRunner.query(`DROP TABLE "content_runs"`)
  }
}
