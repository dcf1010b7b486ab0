import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
} from 'graphql'
import { Extensions } from 'type-graphql'
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './page-size'

/**
 * What one operation may cost, in the units below. A field costs 1 per item it is read for; a
 * field that reads a whole body or header set costs BODY_FIELD_COST per item. A page multiplies
 * the lists inside it by its size, so the limit reads as "about 10,000 fields, or about 100 bodies,
 * per operation". The dashboard's largest document (a 200-row page) costs about half of it.
 */
export const MAX_QUERY_COST = 10_000

/**
 * Cost of a field that loads a stored body, its raw SSE, its stream chunks or a header set: each is
 * decompressed and possibly megabytes, where an ordinary column is a few bytes.
 */
export const BODY_FIELD_COST = 100

/** Cost of a field whose schema field names none (`extensions.cost`). */
const FIELD_COST = 1

/** Gives a schema field its own cost per item read (see BODY_FIELD_COST); others cost 1. */
export const Cost = (cost: number) => Extensions({ cost })

/**
 * Cost of one operation. A field with a `first` or `last` argument is a page: its size is the
 * literal argument, the argument's default when absent (50 when it declares none), and the largest
 * page (200) when it comes from a variable, since a validated document is cached and then run with
 * any values. The size multiplies the page itself when it is a list, otherwise the lists directly
 * inside it (a connection's `nodes` and `edges`, not its `totalCount`). Other lists count once:
 * what they hold is priced by their own cost. Introspection is free, so schema tools keep working.
 */
function operationCost(schema: GraphQLSchema, operation: OperationDefinitionNode, fragments: (name: string) => FragmentDefinitionNode | undefined | null): number {
  const memo = new Map<string, number>()
  const visiting = new Set<string>()

  const selectionCost = (selectionSet: SelectionSetNode, parent: GraphQLNamedType | undefined | null, itemsPerList: number): number => {
    let cost = 0
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) cost += fieldCost(selection, parent, itemsPerList)
      else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent
        cost += selectionCost(selection.selectionSet, type, itemsPerList)
      } else {
        cost += fragmentCost(selection.name.value, itemsPerList)
      }
    }
    return cost
  }

  // Memoised per fragment and page size, so fragments spreading fragments cannot blow up the count;
  // a fragment cycle (reported by graphql's own rule) counts nothing.
  const fragmentCost = (name: string, itemsPerList: number): number => {
    const key = `${name}:${itemsPerList}`
    const known = memo.get(key)
    if (known !== undefined) return known
    const fragment = fragments(name)
    if (!fragment || visiting.has(name)) return 0
    visiting.add(name)
    const cost = selectionCost(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value), itemsPerList)
    visiting.delete(name)
    memo.set(key, cost)
    return cost
  }

  const fieldCost = (field: FieldNode, parent: GraphQLNamedType | undefined | null, itemsPerList: number): number => {
    if (field.name.value.startsWith('__')) return 0
    const definition = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[field.name.value] : undefined
    if (!definition) return FIELD_COST // unknown fields are graphql's own rules' to report
    const ownCost = typeof definition.extensions.cost === 'number' ? definition.extensions.cost : FIELD_COST
    const isList = isListType(getNullableType(definition.type))
    const pageSize = pageSizeOf(field, definition)
    const items = isList ? (pageSize ?? itemsPerList) : 1
    const childItemsPerList = pageSize !== null && !isList ? pageSize : 1
    const childCost = field.selectionSet ? selectionCost(field.selectionSet, getNamedType(definition.type), childItemsPerList) : 0
    return items * (ownCost + childCost)
  }

  const root = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType()
  return selectionCost(operation.selectionSet, root, 1)
}

/** The page size a field is asked for, or null when it is not a page (no `first`/`last` argument). */
function pageSizeOf(field: FieldNode, definition: GraphQLField<unknown, unknown>): number | null {
  const sizes = definition.args
    .filter((arg) => arg.name === 'first' || arg.name === 'last')
    .map((arg) => {
      const value = field.arguments?.find((given) => given.name.value === arg.name)?.value
      if (value === undefined || value.kind === Kind.NULL) return typeof arg.defaultValue === 'number' ? arg.defaultValue : DEFAULT_PAGE_SIZE
      if (value.kind === Kind.INT) return Number(value.value)
      return MAX_PAGE_SIZE
    })
  if (sizes.length === 0) return null
  return Math.min(Math.max(0, ...sizes), MAX_PAGE_SIZE)
}

/**
 * Refuses an operation costing more than `maxCost` (see operationCost) with a validation error
 * naming both numbers. Runs wherever validation does: Apollo (HTTP) and graphql-ws alike.
 */
export function costLimitRule(maxCost: number): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      const cost = operationCost(context.getSchema(), operation, (name) => context.getFragment(name))
      if (cost > maxCost) {
        context.reportError(
          new GraphQLError(
            `Query Cost limit of ${maxCost} exceeded, found ${cost}. Each field counts 1 and each body, header set or chunk list ${BODY_FIELD_COST}, per item of the page (first, at most ${MAX_PAGE_SIZE}; a variable counts as ${MAX_PAGE_SIZE}): ask for fewer items or fewer body fields.`,
            { nodes: operation },
          ),
        )
      }
    },
  })
}
