import type { MigrationInterface, QueryRunner } from 'typeorm'

/**
 * Capture runs (`capture_runs`), and the run that recorded each request (`requests.run_id`), so
 * records left IN_FLIGHT by a process that died can be told apart from running exchanges. The
 * partial index keeps the sweep for them to the few rows in flight.
 */
export class TrackCaptureRuns1796161645015 implements MigrationInterface {
  name = 'TrackCaptureRuns1796161645015'

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "capture_runs" ("id" uuid NOT NULL, "started_at" TIMESTAMP WITH TIME ZONE NOT NULL, "last_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_capture_runs" PRIMARY KEY ("id"))`,
    )
    await queryRunner.query(`ALTER TABLE "requests" ADD "run_id" uuid`)
    await queryRunner.query(`CREATE INDEX "requests_in_flight_run_idx" ON "requests" ("run_id") WHERE "status" = 'IN_FLIGHT'`)
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."requests_in_flight_run_idx"`)
    await queryRunner.query(`ALTER TABLE "requests" DROP COLUMN "run_id"`)
    await queryRunner.query(`DROP TABLE "capture_runs"`)
  }
}
