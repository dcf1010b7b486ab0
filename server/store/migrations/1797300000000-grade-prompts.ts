import type { MigrationInterface, QueryRunner } from 'typeorm'

/** `prompt_grades`: the latest grade of a request's prompt, gone with the request. */
export class GradePrompts1797300000000 implements MigrationInterface {
  name = 'GradePrompts1797300000000'

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "prompt_grades" ("request_id" uuid NOT NULL, "model" text NOT NULL, "score" double precision NOT NULL, "criteria" jsonb NOT NULL, "feedback" text NOT NULL, "improved_prompt" text NOT NULL, "graded_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "prompt_grades_pkey" PRIMARY KEY ("request_id"), CONSTRAINT "prompt_grades_request_fkey" FOREIGN KEY ("request_id") REFERENCES "requests"("id") ON DELETE CASCADE)`,
    )
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "prompt_grades"`)
  }
}
