/**
 * The key a model is priced under: what the API, Bedrock, Vertex and gateways call one model,
 * reduced to Anthropic's id without its snapshot date. `claude-sonnet-4-5-20250929`,
 * `claude-sonnet-4-5@20250929`, `us.anthropic.claude-sonnet-4-5-20250929-v1:0`,
 * `claude-sonnet-4.5` and `claude-sonnet-4-5[1m]` all become `claude-sonnet-4-5`.
 *
 * The result is matched exactly, never by prefix: `claude-sonnet-5-5` must not take the price of
 * `claude-sonnet-5`; a model the price book lacks is unknown, not priced as a cousin.
 */
export function modelKeyOf(model: string): string {
  return model
    .trim()
    .toLowerCase()
    .replace(/^(?:[a-z]{2,6}\.)?anthropic[./]/, '') // Bedrock (with a region prefix) and gateway prefixes
    .replace(/\[[^\]]*\]$/, '') // Claude Code's context-window suffix, e.g. [1m]
    .replace(/-v\d+(?::\d+)?$/, '') // Bedrock's version suffix
    .replace(/[-@]\d{8}$/, '') // snapshot date, API or Vertex style
    .replace(/-latest$/, '')
    .replace(/(\d)\.(\d)/g, '$1-$2') // 4.5 → 4-5
}
