import type { MigrationInterface, QueryRunner } from 'typeorm'

/**
 * `content_lists`: the ids of request bodies' first messages, stored once for the turns of a
 * conversation that resend them (see partListOf), with a GIN index on the ids for body search;
 * and on `requests`, the list a row names and where among its own ids the list's go. Rows stored
 * before hold all their ids themselves and name no list, which reads back the same: they are left
 * as they are.
 */
export class SharePartLists1798000000000 implements MigrationInterface {
  name = 'SharePartLists1798000000000'

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "content_lists" ("id" uuid NOT NULL, "ids" uuid array NOT NULL, "last_used_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_content_lists" PRIMARY KEY ("id"))`,
    )
    await queryRunner.query(`CREATE INDEX "content_lists_last_used_at_idx" ON "content_lists" ("last_used_at")`)
    await queryRunner.query(`CREATE INDEX "content_lists_ids_idx" ON "content_lists" USING gin ("ids")`)
    await queryRunner.query(`ALTER TABLE "requests" ADD "request_body_content_list_id" uuid`)
    await queryRunner.query(`ALTER TABLE "requests" ADD "request_body_content_list_at" integer`)
    await queryRunner.query(`CREATE INDEX "requests_content_list_idx" ON "requests" ("request_body_content_list_id")`)
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // Each row takes its list's ids back, where its messages begin.
    await queryRunner.query(
      `UPDATE "requests" r SET "request_body_content_ids" = r."request_body_content_ids"[1:r."request_body_content_list_at"] || l."ids" || r."request_body_content_ids"[r."request_body_content_list_at" + 1:]
       FROM "content_lists" l WHERE l."id" = r."request_body_content_list_id"`,
    )
    await queryRunner.query(`DROP INDEX "requests_content_list_idx"`)
    await queryRunner.query(`ALTER TABLE "requests" DROP COLUMN "request_body_content_list_at"`)
    await queryRunner.query(`ALTER TABLE "requests" DROP COLUMN "request_body_content_list_id"`)
    await queryRunner.query(`DROP TABLE "content_lists"`)
  }
}
