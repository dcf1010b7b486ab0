import type { CombinedError } from '@urql/core'

/** An API error as the dashboard shows it: the server's typed code, and the argument it names when it names one. */
export interface OperationProblem {
  /** `extensions.code`, e.g. HEADER_VALUE_INVALID; NETWORK_ERROR when the server was not reached. */
  code: string
  message: string
  /** The argument the server blamed, e.g. `rule.value`; null when it named none. */
  argument: string | null
}

/** The first problem of a failed operation, with the server's own message (never a generic one). */
export function operationProblem(error: CombinedError): OperationProblem {
  const first = error.graphQLErrors[0]
  if (first === undefined) return { code: 'NETWORK_ERROR', message: error.networkError?.message ?? error.message, argument: null }
  const { code, argument } = first.extensions as { code?: unknown; argument?: unknown }
  return { code: typeof code === 'string' ? code : 'GRAPHQL_ERROR', message: first.message, argument: typeof argument === 'string' ? argument : null }
}

/** Runs an urql operation's promise and returns its data, or throws its problem, so callers handle one kind of failure. */
export async function dataOrProblem<T>(pending: PromiseLike<{ data?: T; error?: CombinedError }>): Promise<T> {
  const result = await pending
  if (result.error) throw new OperationError(operationProblem(result.error))
  if (result.data === undefined) throw new OperationError({ code: 'NO_DATA', message: 'The server returned no data', argument: null })
  return result.data
}

export class OperationError extends Error {
  constructor(readonly problem: OperationProblem) {
    super(problem.message)
  }
}

/** The problem of whatever `dataOrProblem` (or anything else) threw. */
export function problemOf(error: unknown): OperationProblem {
  if (error instanceof OperationError) return error.problem
  return { code: 'CLIENT_ERROR', message: error instanceof Error ? error.message : String(error), argument: null }
}
