import type { IncomingMessage, ServerResponse } from 'node:http'

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>

/** One line of the routing table: a method set, a path (exact or prefix), and its handler. */
export interface Route {
  methods: readonly string[] | '*'
  /** Exact path, or a prefix when it ends with `/` (e.g. `/v1/`). */
  path: string
  handler: Handler
}

/** Finds the route for a request; the query string never takes part in matching. */
export function matchRoute(routes: readonly Route[], method: string, url: string): Route | undefined {
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  for (const route of routes) {
    const pathMatches = route.path.endsWith('/') && route.path !== '/' ? path.startsWith(route.path) : path === route.path
    if (pathMatches && (route.methods === '*' || route.methods.includes(method))) return route
  }
  return undefined
}
