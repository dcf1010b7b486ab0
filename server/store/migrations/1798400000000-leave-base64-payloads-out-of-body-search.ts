import type { MigrationInterface, QueryRunner } from 'typeorm'

/**
 * Body search leaves the base64 payloads of a part out of its trigram buckets: an image's or a
 * document's `data`, and a thinking block's `signature` (and a redacted one's `data`). Their
 * trigrams are noise to a search, and a screenshot's alone filled all 4,096 buckets: the part was
 * then a candidate for every search, whose `ILIKE` then read the whole image, and its index entry
 * cost the database about 0.25 s of CPU per 880 KB image, against 15 ms now (the regular
 * expression that cuts the payloads out). A search for text inside such a payload is no longer
 * sure to find it; the words around it are found as before.
 *
 * The buckets are no longer made distinct before GIN takes them: GIN sorts a row's keys and
 * drops repeats itself. The DISTINCT took about a quarter of the function's time, about what the
 * regular expression adds on ordinary text.
 *
 * `search_trigram_buckets` is unchanged: the buckets of a search are those of any text holding it.
 */
export class LeaveBase64PayloadsOutOfBodySearch1798400000000 implements MigrationInterface {
  name = 'LeaveBase64PayloadsOutOfBodySearch1798400000000'

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE OR REPLACE FUNCTION trigram_buckets(text) RETURNS smallint[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
       RETURN (SELECT coalesce(array_agg((hashtext(t) & 4095)::smallint), '{}')
               FROM unnest(show_trgm(regexp_replace($1, '"(data|signature)"\\s*:\\s*"[A-Za-z0-9+/=\\\\]{64,}"', '', 'g'))) AS t)`,
    )
    // The entries made by the old definition would still hold the payloads' buckets.
    await queryRunner.query(`REINDEX INDEX "contents_text_buckets_idx"`)
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE OR REPLACE FUNCTION trigram_buckets(text) RETURNS smallint[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
       RETURN (SELECT coalesce(array_agg(DISTINCT (hashtext(t) & 4095)::smallint), '{}') FROM unnest(show_trgm($1)) AS t)`,
    )
    await queryRunner.query(`REINDEX INDEX "contents_text_buckets_idx"`)
  }
}
