import { describe, expect, it } from 'vitest'
import { CaptureRunEntity, ContentEntity, RateLimitSnapshotEntity, RequestEntity, StreamChunkEntity } from '../../server/store/entities'
import { CAPTURE_RUN_COLUMNS, CAPTURE_RUNS_TABLE } from '../../server/store/tables/capture-runs.table'
import type { ColumnDescription } from '../../server/store/tables/column'
import { CONTENT_COLUMNS, CONTENT_LAST_USED_AT, CONTENTS_TABLE } from '../../server/store/tables/contents.table'
import { REQUEST_COLUMNS, REQUESTS_TABLE } from '../../server/store/tables/requests.table'
import { STREAM_CHUNK_COLUMNS, STREAM_CHUNKS_TABLE } from '../../server/store/tables/stream-chunks.table'
import { RATE_LIMIT_SNAPSHOT_COLUMNS, RATE_LIMIT_SNAPSHOTS_TABLE } from '../../server/store/tables/rate-limit-snapshots.table'
import { useMigratedStore } from '../support/test-database'

const store = useMigratedStore()

const TABLES = [
  { entity: RequestEntity, table: REQUESTS_TABLE, columns: REQUEST_COLUMNS },
  { entity: StreamChunkEntity, table: STREAM_CHUNKS_TABLE, columns: STREAM_CHUNK_COLUMNS },
  { entity: CaptureRunEntity, table: CAPTURE_RUNS_TABLE, columns: CAPTURE_RUN_COLUMNS },
  { entity: ContentEntity, table: CONTENTS_TABLE, columns: [...CONTENT_COLUMNS, CONTENT_LAST_USED_AT] },
  { entity: RateLimitSnapshotEntity, table: RATE_LIMIT_SNAPSHOTS_TABLE, columns: RATE_LIMIT_SNAPSHOT_COLUMNS },
] as const

/** Column name → [entity property, SQL type], from a column description. */
function described(columns: ReadonlyArray<Omit<ColumnDescription<never>, 'bind'>>) {
  return Object.fromEntries(columns.map((column) => [column.name, [column.property, column.sqlType]]))
}

describe('table descriptions', () => {
  it.each(TABLES)('describe every column of the $table entity with its property and SQL type', ({ entity, table, columns }) => {
    const metadata = store.dataSource.getMetadata(entity)
    const normalize = (type: unknown) => store.dataSource.driver.normalizeType({ type: type as never })
    const fromEntity = Object.fromEntries(metadata.columns.map((column) => [column.databaseName, [column.propertyName, `${normalize(column.type)}${column.isArray ? '[]' : ''}`]]))

    expect(metadata.tableName).toBe(table)
    expect(described(columns as ReadonlyArray<Omit<ColumnDescription<never>, 'bind'>>)).toEqual(fromEntity)
  })
})
