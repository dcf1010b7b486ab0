import type { MigrationInterface, QueryRunner } from 'typeorm'
import { assembleBody, layOutBody } from '../contents/body-layout'

/** Most bytes of bodies read into memory at once while moving them. */
const MOVE_BATCH_BYTES = 16 * 1024 * 1024

/**
 * `contents`: the elements of request bodies' `system`, `tools` and `messages` arrays stored once
 * each, which Claude Code resends on every turn; `requests.request_body` keeps the rest (the
 * skeleton) and `request_body_content_ids` names the parts. Existing bodies are moved, and moved
 * back by `down`, a batch at a time; every body reads back as the same text.
 */
export class StoreBodyPartsOnce1796700000000 implements MigrationInterface {
  name = 'StoreBodyPartsOnce1796700000000'

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "contents" ("id" uuid NOT NULL, "text" text NOT NULL, "last_used_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_contents" PRIMARY KEY ("id"))`,
    )
    await queryRunner.query(`CREATE INDEX "contents_last_used_at_idx" ON "contents" ("last_used_at")`)
    await queryRunner.query(
      `DO $$ BEGIN ALTER TABLE "contents" ALTER COLUMN "text" SET COMPRESSION lz4; EXCEPTION WHEN feature_not_supported THEN RAISE NOTICE 'lz4 is not available in this PostgreSQL build; contents stay compressed with pglz'; END $$`,
    )
    await queryRunner.query(`ALTER TABLE "requests" ADD "request_body_content_ids" uuid array`)
    await eachBodyBatch(queryRunner, `request_body_is_json`, async (rows) => {
      const parts = new Map<string, string>()
      const moved: Array<{ id: string; skeleton: string; contentIds: string }> = []
      for (const row of rows) {
        const stored = layOutBody(Buffer.from(row.request_body))
        if (stored.contentIds === null) continue
        for (const part of stored.parts) parts.set(part.id, part.bytes.toString('utf8'))
        moved.push({ id: row.id, skeleton: stored.text.toString(), contentIds: stored.contentIds.join(',') })
      }
      if (moved.length === 0) return
      await queryRunner.query(`INSERT INTO "contents" ("id", "text") SELECT * FROM unnest($1::uuid[], $2::text[]) ON CONFLICT ("id") DO NOTHING`, [[...parts.keys()], [...parts.values()]])
      await queryRunner.query(
        `UPDATE "requests" r SET "request_body" = v.skeleton, "request_body_content_ids" = string_to_array(v.ids, ',')::uuid[]
         FROM unnest($1::uuid[], $2::text[], $3::text[]) AS v (id, skeleton, ids) WHERE r."id" = v.id`,
        [moved.map((m) => m.id), moved.map((m) => m.skeleton), moved.map((m) => m.contentIds)],
      )
    })
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await eachBodyBatch(queryRunner, `request_body_content_ids IS NOT NULL`, async (rows) => {
      const ids = rows.flatMap((row) => row.request_body_content_ids ?? [])
      const found = (await queryRunner.query(`SELECT "id", "text" FROM "contents" WHERE "id" = ANY($1::uuid[])`, [[...new Set(ids)]])) as Array<{ id: string; text: string }>
      const texts = new Map(found.map((content) => [content.id, content.text]))
      const bodies = rows.map((row) => assembleBody(row.request_body, row.request_body_content_ids, texts))
      await queryRunner.query(`UPDATE "requests" r SET "request_body" = v.body FROM unnest($1::uuid[], $2::text[]) AS v (id, body) WHERE r."id" = v.id`, [rows.map((row) => row.id), bodies])
    })
    await queryRunner.query(`ALTER TABLE "requests" DROP COLUMN "request_body_content_ids"`)
    await queryRunner.query(`DROP TABLE "contents"`)
  }
}

interface BodyRow {
  id: string
  request_body: string
  request_body_content_ids: string[] | null
}

/** Calls `move` with the rows matching `where`, in id order, holding at most about MOVE_BATCH_BYTES of bodies at a time. */
async function eachBodyBatch(queryRunner: QueryRunner, where: string, move: (rows: BodyRow[]) => Promise<void>): Promise<void> {
  let after = '00000000-0000-0000-0000-000000000000'
  for (;;) {
    const sizes = (await queryRunner.query(`SELECT "id", octet_length("request_body") AS bytes FROM "requests" WHERE ${where} AND "id" > $1 ORDER BY "id" LIMIT 1000`, [after])) as Array<{ id: string; bytes: number }>
    if (sizes.length === 0) return
    let taken = 0
    let bytes = 0
    while (taken < sizes.length && (taken === 0 || bytes + sizes[taken]!.bytes <= MOVE_BATCH_BYTES)) bytes += sizes[taken++]!.bytes
    const ids = sizes.slice(0, taken).map((row) => row.id)
    const rows = (await queryRunner.query(`SELECT "id", "request_body", "request_body_content_ids" FROM "requests" WHERE "id" = ANY($1::uuid[])`, [ids])) as BodyRow[]
    await move(rows)
    after = ids.at(-1)!
  }
}
