
/** The database's size figures, as the `storage` query reports them. */
export interface StorageFigures {
  databaseBytes: number
  tables: { name: string; totalBytes: number; indexBytes: number; rows: number }[]
}

const PAGE_SIZE = 100

/** What the benchmark reads of a Claudescope instance, through its GraphQL API like any client. */
export class ClaudescopeApi {
  readonly #url: string

  constructor(url: string) {
    this.#url = `${url}/graphql`
  }

  /**
   * Records stored complete so far, counted one by one: past 10,000 the API's default count is the
   * planner's estimate, which side-by-side runs on one PostgreSQL database pass.
   */
  async completedCount(): Promise<number> {
    const data = await this.#query<{ requests: { totalCount: number } }>('{ requests(first: 0, filter: { statuses: [COMPLETED] }) { totalCount(exact: true) } }')
    return data.requests.totalCount
  }

  async storage(): Promise<StorageFigures> {
    return (await this.#query<{ storage: StorageFigures }>('{ storage { databaseBytes tables { name totalBytes indexBytes rows } } }')).storage
  }

  /** Every request started at or after `from`, with its body's size. */
  async requestsSince(from: Date): Promise<{ id: string; requestBodyBytes: number }[]> {
    type Page = { requests: { nodes: { id: string; requestBodyBytes: number }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }
    const found: { id: string; requestBodyBytes: number }[] = []
    let after: string | null = null
    for (;;) {
      const page: Page = await this.#query<Page>(
        `query ($from: DateTime!, $after: String) { requests(first: ${PAGE_SIZE}, after: $after, filter: { from: $from }) { nodes { id requestBodyBytes } pageInfo { hasNextPage endCursor } } }`,
        { from: from.toISOString(), after },
      )
      found.push(...page.requests.nodes)
      if (!page.requests.pageInfo.hasNextPage) return found
      after = page.requests.pageInfo.endCursor
    }
  }

  /** `requestBodyText`, the body as forwarded. */
  async requestBodyText(id: string): Promise<string | null> {
    const data = await this.#query<{ request: { requestBodyText: string | null } | null }>(`query ($id: ID!) { request(id: $id) { requestBodyText } }`, { id })
    if (data.request === null) throw new Error(`request ${id} was listed but is not found`)
    return data.request.requestBodyText
  }

  async #query<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
    const res = await fetch(this.#url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) })
    const json = (await res.json()) as { data?: T; errors?: { message: string }[] }
    if (!res.ok || json.errors?.length || json.data === undefined) throw new Error(`GraphQL ${res.status} at ${this.#url}: ${JSON.stringify(json.errors ?? json)}`)
    return json.data
  }
}
