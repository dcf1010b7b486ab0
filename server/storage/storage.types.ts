import { Field, Float, ObjectType } from 'type-graphql'

@ObjectType({ description: 'One table of the database and the space it takes.' })
export class TableStorage {
  @Field(() => String) name: string
  @Field(() => Float, { description: 'Bytes on disk: the table, its TOAST (large values) and its indexes.' }) totalBytes: number
  @Field(() => Float, { description: 'Of totalBytes, the bytes of its indexes (body search\'s trigram indexes among them).' }) indexBytes: number
  @Field(() => Float, { description: 'Rows: counted when the table is small, else the planner\'s estimate (see rowsExact).' }) rows: number
  @Field(() => Boolean, { description: 'Whether rows was counted rather than estimated.' }) rowsExact: boolean
}

@ObjectType({ description: 'Space the database takes on disk.' })
export class Storage {
  @Field(() => Float, { description: 'The whole database, system catalogs included.' }) databaseBytes: number
  @Field(() => [TableStorage], { description: 'The tables of the public schema, by name. A partitioned table appears as its partitions.' }) tables: TableStorage[]
}
