import type { MigrationInterface, QueryRunner } from 'typeorm'

/**
 * `requests.demoted`: the client asked for a JSON answer and the proxy fetched it upstream as a
 * stream (ANTHROPIC_DEMOTE_NONSTREAMING). The row keeps the client's own body and `stream` false;
 * this flag says the upstream exchange was a stream all the same. Rows before it were not demoted
 * as far as anyone can tell, hence the default.
 */
export class MarkDemotedRequests1796500000000 implements MigrationInterface {
  name = 'MarkDemotedRequests1796500000000'

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "requests" ADD "demoted" boolean NOT NULL DEFAULT false`)
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "requests" DROP COLUMN "demoted"`)
  }
}
