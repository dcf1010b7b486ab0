import type { MigrationInterface, QueryRunner } from 'typeorm'

/**
 * `requests.translation`: the wire translation a routed exchange went through (e.g.
 * `anthropic-to-chat-completions`), null when the body went upstream as the client sent it. Rows
 * before routing existed were never translated, hence no backfill.
 */
export class MarkTranslatedRequests1797400000000 implements MigrationInterface {
  name = 'MarkTranslatedRequests1797400000000'

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "requests" ADD "translation" text`)
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "requests" DROP COLUMN "translation"`)
  }
}
