/**
 * Header filtering between the client and upstream connections (RFC 9110 §7.6.1). Hop-by-hop
 * fields describe one connection and must not cross the proxy; so must every field the
 * `connection` header names. Everything else passes untouched, repeated fields included.
 */

/** Connection-specific fields, plus the legacy `proxy-connection` and `trailers` spellings seen in the wild. */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'trailers',
  'transfer-encoding',
  'upgrade',
])

/** Header carrying the optional PROXY_TOKEN; it is for us and never goes upstream. */
export const PROXY_TOKEN_HEADER = 'x-claudescope-token'

/**
 * Request fields not copied upstream besides the hop-by-hop ones: `host` and `content-length` are
 * set for the upstream connection and the buffered body, `expect` asked *us* for a 100-continue
 * (the body is already read), and our own token.
 */
const NOT_FORWARDED: ReadonlySet<string> = new Set([...HOP_BY_HOP, 'host', 'content-length', 'expect', PROXY_TOKEN_HEADER])

/**
 * Whether a header rule may touch this field (lower-case name). Connection-specific fields, `host`,
 * `content-length`, `expect` and our own token are the proxy's to set from the connection and the
 * body actually sent: a rule rewriting them would break framing or routing, so they are refused.
 */
export function isRewritableHeader(lowerCaseName: string): boolean {
  return !NOT_FORWARDED.has(lowerCaseName)
}

/** Whether a field the client sent is among those sent upstream (hop-by-hop, host, expect, our token are not). */
export function isForwardedRequestHeader(lowerCaseName: string): boolean {
  return !NOT_FORWARDED.has(lowerCaseName) || lowerCaseName === 'content-length'
}

/** Whether a response field upstream sent goes on to the client (hop-by-hop ones do not). */
export function isRelayedResponseHeader(lowerCaseName: string): boolean {
  return !HOP_BY_HOP.has(lowerCaseName)
}

/**
 * The client's headers as a flat `[name, value, …]` list for upstream: original spelling, order
 * and repeats kept; hop-by-hop, connection-named, host, expect and our token removed;
 * `content-length` recomputed from the body actually sent (none for an empty body: undici adds
 * `content-length: 0` where the method expects a payload).
 */
export function toUpstreamHeaders(rawHeaders: readonly string[], bodyBytes: number): string[] {
  const named = connectionNamedFields(rawHeaders)
  const out: string[] = []
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]
    const lower = name.toLowerCase()
    if (NOT_FORWARDED.has(lower) || (named !== null && named.has(lower))) continue
    out.push(name, rawHeaders[i + 1])
  }
  if (bodyBytes > 0) out.push('content-length', String(bodyBytes))
  return out
}

/**
 * Upstream's response headers (lower-case names, arrays for repeats, as undici parses them) minus
 * hop-by-hop and connection-named fields. `content-length` stays when upstream sent it;
 * node frames the body itself otherwise.
 */
export function toClientHeaders(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): Record<string, string | string[]> {
  const connection = headers.connection
  const named = connection === undefined ? null : tokensOf(connection, null)
  const out: Record<string, string | string[]> = {}
  for (const name in headers) {
    const value = headers[name]
    if (value === undefined || HOP_BY_HOP.has(name) || (named !== null && named.has(name))) continue
    out[name] = value
  }
  return out
}

/** Lower-case field names listed in every `connection` header of a flat raw list, or null when none beyond the usual ones. */
function connectionNamedFields(rawHeaders: readonly string[]): Set<string> | null {
  let named: Set<string> | null = null
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i].length === 10 && rawHeaders[i].toLowerCase() === 'connection') {
      named = tokensOf(rawHeaders[i + 1], named)
    }
  }
  return named
}

/** Adds the comma-separated tokens of a `connection` value that are not already hop-by-hop. */
function tokensOf(value: string | string[], into: Set<string> | null): Set<string> | null {
  if (typeof value === 'string') {
    // The usual values, `keep-alive` and `close`, name nothing to remove.
    const single = value.toLowerCase()
    if (single === 'close' || HOP_BY_HOP.has(single)) return into
  }
  for (const part of Array.isArray(value) ? value : [value]) {
    for (const token of part.split(',')) {
      const name = token.trim().toLowerCase()
      if (name === '' || HOP_BY_HOP.has(name)) continue
      into ??= new Set()
      into.add(name)
    }
  }
  return into
}
