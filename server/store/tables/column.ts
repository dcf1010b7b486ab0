/** A PostgreSQL type as the migrations declare it, spelt as `information_schema.columns.data_type` names it (an array as `format_type` does: its element type and `[]`). */
export type SqlType = 'uuid' | 'uuid[]' | 'text[]' | 'smallint[]' | 'integer[]' | 'double precision[]' | 'text' | 'boolean' | 'integer' | 'bigint' | 'double precision' | 'numeric' | 'timestamp with time zone' | 'jsonb'

/**
 * One column of a table the store owns, described once: the writer's statements, the read side's
 * row mapping and the tests' seeding are all derived from it, and a test checks it against the
 * TypeORM entity (which the migrations were generated from).
 */
export interface ColumnDescription<TRecord> {
  /** Column name in SQL. */
  name: string
  sqlType: SqlType
  /** The entity property mapping this column, which is also the field's name in the record (or in its `usage`). */
  property: string
  /** The parameter bound when a record is written. */
  bind: (record: TRecord) => unknown
}

/** Column names, comma separated, in the order given. */
export function columnNames(columns: ReadonlyArray<{ name: string }>): string {
  return columns.map((column) => column.name).join(', ')
}
