import type { MigrationInterface, QueryRunner } from 'typeorm'
import { searchKeysOfPart } from '../contents/search-keys'

/** Parts read and given their keys per statement while the column is filled. */
const BATCH = 500

/**
 * Body search reads a column of keys each part is written with (see search-keys) instead of an
 * index over `trigram_buckets(text)`, which the database computed for every new part. That
 * function and the upkeep of its 1,100 or so buckets per 2 KB part were about three quarters of
 * the database's CPU under a conversation load; the keys are about half as many, and computed by
 * the writer. The parts stored before are given their keys here, in batches, before the index is
 * built over them; the keys are computed by today's `searchKeysOfPart`, so a change to how keys
 * are computed needs a migration of its own that computes them all again.
 */
export class KeepSearchKeysPerPart1798500000000 implements MigrationInterface {
  name = 'KeepSearchKeysPerPart1798500000000'

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "contents" ADD "search_keys" smallint array NOT NULL DEFAULT '{}'`)
    // First, or every row the batches update would have its buckets computed again for the old index.
    await queryRunner.query(`DROP INDEX "contents_text_buckets_idx"`)
    let after = '00000000-0000-0000-0000-000000000000'
    for (;;) {
      const rows = (await queryRunner.query(`SELECT id, text FROM "contents" WHERE id > $1 ORDER BY id LIMIT ${BATCH}`, [after])) as Array<{ id: string; text: string }>
      if (rows.length === 0) break
      await queryRunner.query(
        `UPDATE "contents" c SET "search_keys" = string_to_array(v.keys, ',')::smallint[] FROM unnest($1::uuid[], $2::text[]) AS v (id, keys) WHERE c.id = v.id`,
        [rows.map((row) => row.id), rows.map((row) => searchKeysOfPart(row.text).join(','))],
      )
      after = rows.at(-1)!.id
    }
    await queryRunner.query(`CREATE INDEX "contents_search_keys_idx" ON "contents" USING gin ("search_keys")`)
    await queryRunner.query(`DROP FUNCTION search_trigram_buckets(text)`)
    await queryRunner.query(`DROP FUNCTION trigram_buckets(text)`)
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // The functions as the migrations before this one left them.
    await queryRunner.query(
      `CREATE FUNCTION trigram_buckets(text) RETURNS smallint[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
       RETURN (SELECT coalesce(array_agg((hashtext(t) & 4095)::smallint), '{}')
               FROM unnest(show_trgm(regexp_replace($1, '"(data|signature)"\\s*:\\s*"[A-Za-z0-9+/=\\\\]{64,}"', '', 'g'))) AS t)`,
    )
    await queryRunner.query(
      `CREATE FUNCTION search_trigram_buckets(text) RETURNS smallint[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
       RETURN (SELECT coalesce(array_agg(DISTINCT (hashtext(t) & 4095)::smallint), '{}')
               FROM (SELECT unnest(show_trgm($1)) EXCEPT SELECT unnest(show_trgm(left($1, 2))) EXCEPT SELECT unnest(show_trgm(right($1, 2)))) AS inner_trigrams(t))`,
    )
    await queryRunner.query(`CREATE INDEX "contents_text_buckets_idx" ON "contents" USING gin (trigram_buckets("text"))`)
    await queryRunner.query(`DROP INDEX "contents_search_keys_idx"`)
    await queryRunner.query(`ALTER TABLE "contents" DROP COLUMN "search_keys"`)
  }
}
