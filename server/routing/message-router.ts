import type { ProviderRoute, Routing } from '../proxy/provider-route'
import { topLevelMembers } from '../wire/top-level-members'
import type { RoutingConfig } from './routing-config'

/** Names the Claude Code subagent a request comes from, from its system prompt; null for any other request. */
export type SubagentDetector = (system: unknown) => string | null

/**
 * The routing the proxy is given, from the routing file: a request of a configured subagent goes
 * where its route says; else the first model route whose glob matches the requested model; else
 * Anthropic. Reads only the body's top-level `model` (and `system` when subagents are routed)
 * straight from the bytes, so the forwarding path pays little for it.
 */
export function createRouting(config: RoutingConfig, detectSubagent: SubagentDetector | null = null): Routing {
  const subagents = new Map(config.subagents.map((route) => [route.name, route]))
  const readsSystem = detectSubagent !== null && subagents.size > 0
  return {
    chatCompletions: config.providers.get('openai') ?? null,
    routeMessages(body: Buffer): ProviderRoute | null {
      // A file that only serves chat completions costs /v1/messages nothing.
      if (config.models.length === 0 && !readsSystem) return null
      const { model, system } = readModelAndSystem(body, readsSystem)
      if (readsSystem && system !== undefined) {
        const name = detectSubagent!(system)
        const route = name === null ? undefined : subagents.get(name)
        if (route !== undefined) return { provider: route.provider, model: route.model }
      }
      if (model === null) return null
      const route = config.models.find((candidate) => candidate.isMatch(model))
      return route === undefined ? null : { provider: route.provider, model: route.model ?? model }
    },
  }
}

/** The top-level `model` when it is a string, and `system` parsed when asked for (undefined when absent or not JSON). */
function readModelAndSystem(body: Buffer, readsSystem: boolean): { model: string | null; system: unknown } {
  const object = topLevelMembers(body)
  let model: string | null = null
  let system: unknown = undefined
  for (const member of object?.members ?? []) {
    if (member.key === 'model') {
      const value: unknown = JSON.parse(body.toString('utf8', member.valueStart, member.valueEnd))
      model = typeof value === 'string' ? value : null
    } else if (member.key === 'system' && readsSystem) {
      system = JSON.parse(body.toString('utf8', member.valueStart, member.valueEnd))
    }
  }
  return { model, system }
}

