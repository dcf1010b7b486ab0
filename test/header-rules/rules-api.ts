/** GraphQL calls the header-rule tests share, with the response's errors (and their codes) kept. */

/** The user-agent the tests' GraphQL calls carry, so audit entries can be told apart. */
export const TEST_USER_AGENT = 'header-rules-test/1.0'

export interface GraphQLResponse<T> {
  data?: T
  errors?: Array<{ message: string; extensions?: { code?: string; argument?: string } }>
}

export async function gql<T = Record<string, unknown>>(baseUrl: string, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>> {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': TEST_USER_AGENT },
    body: JSON.stringify({ query, variables }),
  })
  return (await res.json()) as GraphQLResponse<T>
}

/** The data of an operation that must succeed. */
export async function gqlData<T>(baseUrl: string, query: string, variables?: Record<string, unknown>): Promise<T> {
  const response = await gql<T>(baseUrl, query, variables)
  if (response.errors?.length || response.data === undefined) throw new Error(`GraphQL failed: ${JSON.stringify(response.errors)}`)
  return response.data
}

/** Deletes every header rule (one import of an empty list). */
export async function resetHeaderRules(baseUrl: string): Promise<void> {
  await gqlData(baseUrl, `mutation ($document: JSON!) { importSettings(document: $document) }`, { document: { format: 'claudescope-settings', version: 1, headerRules: [] } })
}
