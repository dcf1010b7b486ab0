import { ApolloArmor } from '@escape.tech/graphql-armor'
import type { ApolloServerPlugin } from '@apollo/server'
import {
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type ParseOptions,
  type ValidationContext,
  type ValidationRule,
} from 'graphql'
import { costLimitRule, MAX_QUERY_COST } from './query-cost'

/**
 * Limits on what one operation may ask for, the same over HTTP and graphql-ws. Generous for
 * the dashboard and notebooks (the deepest query we serve is about 6 levels), tight enough that a
 * hostile query cannot make the server do unbounded work. Introspection is exempt from depth and
 * cost, so schema tools keep working.
 */
export const GRAPHQL_LIMITS = {
  maxDepth: 10,
  maxAliases: 15,
  maxTokens: 3000,
  maxCost: MAX_QUERY_COST,
  maxDirectives: 50,
} as const

/**
 * armor words every refusal as a "Syntax Error: …", which misleads whoever sent a well-formed
 * query that is merely too big: each is reported as the validation error it is instead.
 */
const asValidationError = {
  propagateOnRejection: false,
  onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, '')))],
}

/**
 * The Apollo side: graphql-armor's plugins and validation rules, and our cost rule. The token limit is left to
 * graphql's parser (`parseOptions`): armor's version re-parses in a plugin, which turns every
 * syntax error into a 500.
 */
export function apolloLimits(): { plugins: ApolloServerPlugin[]; validationRules: ValidationRule[]; parseOptions: ParseOptions } {
  const { plugins, validationRules } = new ApolloArmor({
    maxDepth: { n: GRAPHQL_LIMITS.maxDepth, ...asValidationError },
    maxAliases: { n: GRAPHQL_LIMITS.maxAliases, ...asValidationError },
    maxTokens: { enabled: false },
    // armor's cost limit knows neither field weights nor page sizes from variables or defaults.
    costLimit: { enabled: false },
    maxDirectives: { n: GRAPHQL_LIMITS.maxDirectives, ...asValidationError },
  }).protect()
  return { plugins, validationRules: [...validationRules, costLimitRule(GRAPHQL_LIMITS.maxCost)], parseOptions: { maxTokens: GRAPHQL_LIMITS.maxTokens } }
}

/**
 * The graphql-ws side, which bypasses Apollo: parse with the token limit, then validate with
 * graphql's own rules plus the same limit rules.
 */
export function parseAndValidate(
  schema: GraphQLSchema,
  query: string,
  rules: readonly ValidationRule[],
): { document: DocumentNode; errors?: undefined } | { errors: readonly GraphQLError[] } {
  let document: DocumentNode
  try {
    document = parse(query, { maxTokens: GRAPHQL_LIMITS.maxTokens })
  } catch (error) {
    return { errors: [error as GraphQLError] }
  }
  const errors = validate(schema, document, [...specifiedRules, ...rules])
  return errors.length > 0 ? { errors } : { document }
}
