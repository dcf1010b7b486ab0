import type { BodyPart } from '../contents/body-layout'
import type { PartList } from '../contents/part-list'
import { searchKeysOfPart } from '../contents/search-keys'
import { int2Array } from './binary-arrays'
import type { ColumnDescription } from './column'

export const CONTENTS_TABLE = 'contents'
export const CONTENT_LISTS_TABLE = 'content_lists'

/** The columns a write binds for one body part. */
export const CONTENT_COLUMNS: ReadonlyArray<ColumnDescription<BodyPart>> = [
  { name: 'id', sqlType: 'uuid', property: 'id', bind: (part) => part.id },
  // The part's bytes as they are: a text parameter in binary format is its UTF-8.
  { name: 'text', sqlType: 'text', property: 'text', bind: (part) => part.bytes },
  // Computed here, for the parts a batch writes: the database only indexes them.
  { name: 'search_keys', sqlType: 'smallint[]', property: 'searchKeys', bind: (part) => int2Array(searchKeysOfPart(part.bytes.toString('utf8'))) },
]

/**
 * Never bound: the database's own clock sets it (its default, and every upsert), the clock
 * retention reads its cutoff on.
 */
export const CONTENT_LAST_USED_AT: Omit<ColumnDescription<BodyPart>, 'bind'> = { name: 'last_used_at', sqlType: 'timestamp with time zone', property: 'lastUsedAt' }

/** The columns a write binds for one list of part ids (see partListOf); `last_used_at` as for contents. */
export const CONTENT_LIST_COLUMNS: ReadonlyArray<ColumnDescription<PartList>> = [
  { name: 'id', sqlType: 'uuid', property: 'id', bind: (list) => list.id },
  { name: 'ids', sqlType: 'uuid[]', property: 'ids', bind: (list) => list.ids },
]
