import { GraphQLError, type GraphQLFormattedError } from 'graphql'
import type { Logger } from '../logger'

/** Stable codes of the API's own errors; clients branch on `extensions.code`. */
export type UserInputErrorCode =
  | 'PAGE_SIZE_OUT_OF_RANGE'
  | 'INVALID_CURSOR'
  | 'REQUEST_NOT_FOUND'
  | 'RETENTION_PERIOD_REQUIRED'
  | 'RETENTION_PERIOD_OUT_OF_RANGE'
  | 'GRADER_NOT_CONFIGURED'
  | 'NOTHING_TO_GRADE'
  | 'INVALID_PRICE'
  | 'PRICE_OVERRIDE_NOT_FOUND'
  | 'INVALID_TIME_RANGE'
  | 'INVALID_TIMEZONE'
  | 'INVALID_GROUP_BY'
  | 'HEADER_NAME_EMPTY'
  | 'HEADER_NAME_INVALID'
  | 'HEADER_NOT_REWRITABLE'
  | 'HEADER_VALUE_INVALID'
  | 'HEADER_RULE_VALUE_REQUIRED'
  | 'HEADER_RULE_FIND_REQUIRED'
  | 'HEADER_RULE_MATCH_INVALID'
  | 'HEADER_RULE_NOT_FOUND'
  | 'HEADER_RULE_ORDER_MISMATCH'
  | 'SETTINGS_DOCUMENT_INVALID'
  | 'REQUEST_FILTER_REQUIRED'

/**
 * A request the API understood but cannot serve as asked. Its message reaches the client as is,
 * naming the argument, what was expected and what arrived.
 */
export class UserInputError extends GraphQLError {
  constructor(
    readonly code: UserInputErrorCode,
    message: string,
    readonly argument?: string,
  ) {
    super(message, { extensions: { code, ...(argument ? { argument } : {}) } })
  }
}

const MASKED: GraphQLFormattedError = { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }

/**
 * Shapes an error for the client. GraphQL's own errors (syntax, validation, limits, our
 * UserInputError) pass; anything else is a bug or an outage: logged in full, shown masked.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown, logger: Logger): GraphQLFormattedError {
  const cause = error instanceof GraphQLError ? error.originalError : error
  if (cause === undefined || cause === null || cause instanceof GraphQLError) return formatted
  logger.error({ err: cause, path: formatted.path }, 'unexpected error in GraphQL operation')
  return { ...MASKED, ...(formatted.path ? { path: formatted.path } : {}), ...(formatted.locations ? { locations: formatted.locations } : {}) }
}
