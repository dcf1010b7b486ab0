import type { MigrationInterface, QueryRunner } from 'typeorm'

const BODY_COLUMNS = [
  ['requests', 'request_body'],
  ['requests', 'response_body'],
  ['requests', 'response_sse'],
  ['stream_chunks', 'data'],
] as const

/**
 * Large bodies compressed with lz4 instead of pglz: PostgreSQL's pglz spends about 2 ms per
 * 200 KB request body, lz4 a fraction of it, and a busy proxy writes hundreds of bodies a second.
 * A build without lz4 (PGlite's) keeps pglz. Only new values are affected; stored ones stay as
 * they are.
 */
export class CompressBodiesWithLz41795603974996 implements MigrationInterface {
  name = 'CompressBodiesWithLz41795603974996'

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `DO $$ BEGIN ${setCompression('lz4')} EXCEPTION WHEN feature_not_supported THEN RAISE NOTICE 'lz4 is not available in this PostgreSQL build; bodies stay compressed with pglz'; END $$`,
    )
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(setCompression('pglz'))
  }
}

function setCompression(method: 'lz4' | 'pglz'): string {
  return BODY_COLUMNS.map(([table, column]) => `ALTER TABLE "${table}" ALTER COLUMN "${column}" SET COMPRESSION ${method};`).join(' ')
}
