import type { MigrationInterface, QueryRunner } from 'typeorm'

/**
 * A row's list of part ids holds every part of its body but its newest messages, system prompt and
 * tools included (see partListOf), and `request_body_own_ids_at` says where the row's own ids go
 * among the list's. Rows stored before hold their system and tool ids themselves and place their
 * list by `request_body_content_list_at`, which reads back the same: they are left as they are.
 */
export class ListAllPartsButTheNewestMessages1798200000000 implements MigrationInterface {
  name = 'ListAllPartsButTheNewestMessages1798200000000'

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "requests" ADD "request_body_own_ids_at" integer`)
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // Rows placing their own ids among their list's take all their ids back and name no list.
    await queryRunner.query(
      `UPDATE "requests" r SET "request_body_content_ids" = l."ids"[1:r."request_body_own_ids_at"] || r."request_body_content_ids" || l."ids"[r."request_body_own_ids_at" + 1:],
         "request_body_content_list_id" = NULL
       FROM "content_lists" l WHERE l."id" = r."request_body_content_list_id" AND r."request_body_own_ids_at" IS NOT NULL`,
    )
    await queryRunner.query(`ALTER TABLE "requests" DROP COLUMN "request_body_own_ids_at"`)
  }
}
