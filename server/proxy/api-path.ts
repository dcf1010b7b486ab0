/**
 * True when the dot segments of a `/v1/...` request path would take it out of `/v1/` once
 * resolved: `..` climbing above it, spelt raw, percent-encoded (`%2e%2e`), behind `%2f`, `\` or
 * `%5c` separators (WHATWG URL parsers treat `\` as `/`), or with `;` parameters (`..;`, which some
 * servers read as `..`). The path is joined after the upstream base path, so such a request would
 * reach whatever else lives on the upstream host. Paths without `.`, `%` and `\` (all ordinary API
 * calls) cost three scans.
 */
export function leavesApiRoot(path: string): boolean {
  if (path.indexOf('.') === -1 && path.indexOf('%') === -1 && path.indexOf('\\') === -1) return false
  const normalized = path.replace(/%2e/gi, '.').replace(/%2f|%5c|\\/gi, '/')
  // Segments after the leading '/': the first is 'v1', so depth 1 is /v1/ itself.
  let depth = 0
  for (const segment of normalized.slice(1).split('/')) {
    const name = segment.split(';')[0]
    if (name === '..') {
      if (--depth < 1) return true
    } else if (name !== '.') depth++
  }
  return false
}
