import type { MigrationInterface, QueryRunner } from 'typeorm'

/**
 * Body search finds parts through hashed trigram buckets instead of pg_trgm's index of every
 * trigram. Nearly every trigram of a new message is new to that message, so the trigram index kept
 * one entry of about 6 bytes per trigram per part: more than half of everything a conversation
 * stored. `trigram_buckets(text)` folds a text's trigrams (show_trgm) into 4,096 buckets by hash;
 * a GIN index over it holds one long, well-compressed list of parts per bucket instead.
 *
 * `search_trigram_buckets(search)` gives the buckets every text containing `search` has: its
 * trigrams less those that pad a word at either end of it (the text may carry the word on past the
 * search), which are all among the trigrams of its first and last two characters. A search keeps
 * parts whose buckets include these, then `ILIKE` checks each one. Both functions are
 * SQL-standard bodies, bound to pg_trgm when created, so index upkeep never depends on the
 * search_path of whoever runs it (VACUUM and ANALYZE run under a restricted one).
 */
export class IndexBodyPartsByTrigramBuckets1798100000000 implements MigrationInterface {
  name = 'IndexBodyPartsByTrigramBuckets1798100000000'

  public async up(queryRunner: QueryRunner): Promise<void> {
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
    await queryRunner.query(`DROP INDEX "contents_text_trgm_idx"`)
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "contents_text_trgm_idx" ON "contents" USING gin ("text" gin_trgm_ops)`)
    await queryRunner.query(`DROP INDEX "contents_text_buckets_idx"`)
    await queryRunner.query(`DROP FUNCTION search_trigram_buckets(text)`)
    await queryRunner.query(`DROP FUNCTION trigram_buckets(text)`)
  }
}
