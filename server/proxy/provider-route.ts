/**
 * What the proxy is told about routing, as plain data and functions it is given (the routing file
 * and subagent detection live in server/routing): the proxy only forwards where it is told to.
 */

/** An OpenAI-compatible server, as the proxy reaches it. */
export interface ProviderTarget {
  /** Shown on records as their provider, e.g. `openai`. */
  name: string
  /** Base URL with its path and no trailing slash; requests go to `<baseUrl>/chat/completions`. */
  baseUrl: string
  /** Sent as `Authorization: Bearer`; the client's own credentials never reach the provider. */
  apiKey: string
}

/** Where one /v1/messages request goes instead of Anthropic. */
export interface ProviderRoute {
  provider: ProviderTarget
  /** The model sent to the provider. */
  model: string
}

export interface Routing {
  /**
   * For each `POST /v1/messages`: the provider and model it goes to, translated to Chat
   * Completions, or null to forward it to Anthropic unchanged. Called on the forwarding path: it
   * must be cheap and must not throw (a throw forwards to Anthropic).
   */
  routeMessages(body: Buffer): ProviderRoute | null
  /** The provider serving `POST /v1/chat/completions` as a pass-through; null forwards that path to Anthropic like any other. */
  chatCompletions: ProviderTarget | null
}
