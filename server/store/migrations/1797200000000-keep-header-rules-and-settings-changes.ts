import type { MigrationInterface, QueryRunner } from 'typeorm'

/**
 * `header_rules`: the operator's ordered header rules, which every instance compiles into its
 * proxy's snapshot; `settings_changes`: the audit of every settings change (what, when, which
 * client); `requests.header_rewrites`: the rules that fired on an exchange and the headers they
 * produced, null where none fired (so every existing row, and most new ones, stay as they are).
 */
export class KeepHeaderRulesAndSettingsChanges1797200000000 implements MigrationInterface {
  name = 'KeepHeaderRulesAndSettingsChanges1797200000000'

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "header_rules" ("id" uuid NOT NULL, "position" integer NOT NULL, "scope" text NOT NULL, "header" text NOT NULL, "action" text NOT NULL, "value" text, "find" text, "enabled" boolean NOT NULL, "path_prefix" text, "model" text, "description" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_header_rules" PRIMARY KEY ("id"))`,
    )
    await queryRunner.query(`CREATE INDEX "header_rules_position_idx" ON "header_rules" ("position")`)
    await queryRunner.query(
      `CREATE TABLE "settings_changes" ("id" uuid NOT NULL, "changed_at" TIMESTAMP WITH TIME ZONE NOT NULL, "section" text NOT NULL, "action" text NOT NULL, "summary" text NOT NULL, "before" jsonb, "after" jsonb, "client_address" text, "user_agent" text, CONSTRAINT "PK_settings_changes" PRIMARY KEY ("id"))`,
    )
    await queryRunner.query(`CREATE INDEX "settings_changes_changed_at_idx" ON "settings_changes" ("changed_at", "id")`)
    await queryRunner.query(`ALTER TABLE "requests" ADD "header_rewrites" jsonb`)
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "requests" DROP COLUMN "header_rewrites"`)
    await queryRunner.query(`DROP INDEX "public"."settings_changes_changed_at_idx"`)
    await queryRunner.query(`DROP TABLE "settings_changes"`)
    await queryRunner.query(`DROP INDEX "public"."header_rules_position_idx"`)
    await queryRunner.query(`DROP TABLE "header_rules"`)
  }
}
