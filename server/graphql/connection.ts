import { Field, ObjectType } from 'type-graphql'
import { UserInputError } from './errors'

/** Relay's page information, shared by every connection type. */
@ObjectType({ description: 'Where a page sits in the whole list (Relay cursor connections).' })
export class PageInfo {
  @Field(() => Boolean) hasNextPage: boolean
  @Field(() => Boolean, { description: 'True when the page was asked `after` a cursor (forward pagination only).' })
  hasPreviousPage: boolean
  @Field(() => String, { nullable: true }) startCursor: string | null
  @Field(() => String, { nullable: true }) endCursor: string | null
}

/**
 * Cursors are opaque to clients: base64url of a JSON array of the sort key's parts. Each list
 * checks the decoded parts itself (see `decodeCursor`'s `isValid`).
 */
export function encodeCursor(parts: readonly string[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url')
}

/** Decodes a cursor made by `encodeCursor`; throws INVALID_CURSOR for anything else. */
export function decodeCursor<T extends readonly string[]>(cursor: string, isValid: (parts: readonly string[]) => parts is T): T {
  let parts: unknown
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    parts = undefined
  }
  if (Array.isArray(parts) && parts.every((p) => typeof p === 'string') && isValid(parts)) return parts
  throw new UserInputError('INVALID_CURSOR', 'after is not a cursor returned by this list (use pageInfo.endCursor)', 'after')
}
