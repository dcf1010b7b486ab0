import type { MigrationInterface, QueryRunner } from 'typeorm'
import { bucketsLiteral, textBuckets } from '../contents/text-buckets'

/** Most rows, and about the most bytes of text, read into memory at once while filling the column. */
const FILL_BATCH_ROWS = 1000
const FILL_BATCH_BYTES = 16 * 1024 * 1024

/**
 * Body search's trigram buckets become a column that capture fills (see text-buckets), instead of
 * an index over `trigram_buckets(text)` that PostgreSQL computed on every insert: pg_trgm's
 * `show_trgm` and a hash per trigram in SQL cost the database about 0.8 ms per 2 KB part, three
 * quarters of its time under a conversation load. The parts stored before are given theirs here,
 * a batch at a time; `down` gives the expression index back.
 */
export class ComputeBodySearchBucketsInCapture1798400000000 implements MigrationInterface {
  name = 'ComputeBodySearchBucketsInCapture1798400000000'

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "contents_text_buckets_idx"`)
    await queryRunner.query(`DROP FUNCTION search_trigram_buckets(text)`)
    await queryRunner.query(`DROP FUNCTION trigram_buckets(text)`)
    await queryRunner.query(`ALTER TABLE "contents" ADD "text_buckets" smallint array`)
    for (let after = '00000000-0000-0000-0000-000000000000'; ; ) {
      // Rows in id order until the batch holds FILL_BATCH_BYTES of text (at least one row, however large).
      const rows = (await queryRunner.query(
        `SELECT id, text FROM (SELECT id, text, sum(octet_length(text)) OVER (ORDER BY id) - octet_length(text) AS before FROM "contents" WHERE id > $1 ORDER BY id LIMIT $2) AS batch WHERE before < $3`,
        [after, FILL_BATCH_ROWS, FILL_BATCH_BYTES],
      )) as Array<{ id: string; text: string }>
      if (rows.length === 0) break
      await queryRunner.query(`UPDATE "contents" c SET "text_buckets" = v.buckets::smallint[] FROM unnest($1::uuid[], $2::text[]) AS v (id, buckets) WHERE c.id = v.id`, [
        rows.map((row) => row.id),
        rows.map((row) => bucketsLiteral(textBuckets(row.text))),
      ])
      after = rows.at(-1)!.id
    }
    await queryRunner.query(`ALTER TABLE "contents" ALTER COLUMN "text_buckets" SET NOT NULL`)
    await queryRunner.query(`CREATE INDEX "contents_text_buckets_idx" ON "contents" USING gin ("text_buckets")`)
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "contents_text_buckets_idx"`)
    await queryRunner.query(`ALTER TABLE "contents" DROP COLUMN "text_buckets"`)
    await queryRunner.query(
      `CREATE FUNCTION trigram_buckets(text) RETURNS smallint[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
       RETURN (SELECT coalesce(array_agg(DISTINCT (hashtext(t) & 4095)::smallint), '{}') FROM unnest(show_trgm($1)) AS t)`,
    )
    await queryRunner.query(
      `CREATE FUNCTION search_trigram_buckets(text) RETURNS smallint[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
       RETURN (SELECT coalesce(array_agg(DISTINCT (hashtext(t) & 4095)::smallint), '{}')
               FROM (SELECT unnest(show_trgm($1)) EXCEPT SELECT unnest(show_trgm(left($1, 2))) EXCEPT SELECT unnest(show_trgm(right($1, 2)))) AS inner_trigrams(t))`,
    )
    await queryRunner.query(`CREATE INDEX "contents_text_buckets_idx" ON "contents" USING gin (trigram_buckets("text"))`)
  }
}
