import type { IncomingMessage } from 'node:http'
import { Pool, type Dispatcher } from 'undici'
import { ChatRequestError, toChatRequest } from '../wire/openai/chat-request'
import { toUpstreamHeaders } from './hop-by-hop'
import { ChatToMessagesTranslation } from './chat-translation'
import type { ProviderTarget, Routing } from './provider-route'
import { ProxyError } from './proxy-errors'
import type { ResponseTranslation } from './response-translation'

/** The two paths an OpenAI-compatible provider can serve. */
const MESSAGES_PATH = '/v1/messages'
export const CHAT_COMPLETIONS_PATH = '/v1/chat/completions'

/**
 * Client headers never sent to a provider on the chat-completions pass-through: credentials meant
 * for Claudescope or Anthropic (the provider's key from the configuration replaces them), and
 * Anthropic's own headers.
 */
const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(['authorization', 'x-api-key', 'api-key', 'cookie', 'x-goog-api-key', 'openai-organization', 'openai-project'])

/** How one request goes to a provider instead of Anthropic. */
export interface ProviderPlan {
  provider: ProviderTarget
  /** The model sent when routing changed it (for the record); null when the client's own model goes. */
  routedModel: string | null
  /** Path on the provider's origin, its base path included. */
  path: string
  headers: string[]
  body: Buffer
  /** How the answer is rewritten for the client; null relays it byte for byte. */
  translation: ResponseTranslation | null
}

export interface ProviderForwardingOptions {
  routing: Routing
  /** Most bytes of a provider's JSON answer held to translate it. */
  maxHeldBytes: number
}

/**
 * Requests that go to an OpenAI-compatible provider: a /v1/messages request the routing sends
 * there (translated to Chat Completions, its answer translated back) and the chat-completions
 * pass-through. The provider gets its own key as a Bearer token and never any client credential:
 * a translated request carries only the headers built here. One keep-alive pool per provider origin.
 */
export class ProviderForwarding {
  readonly #routing: Routing
  readonly #maxHeldBytes: number
  readonly #pools = new Map<string, Pool>()

  constructor(options: ProviderForwardingOptions) {
    this.#routing = options.routing
    this.#maxHeldBytes = options.maxHeldBytes
  }

  /**
   * The plan for a request that goes to a provider, null for one that goes to Anthropic, or a
   * ProxyError (400) when a routed request cannot be translated.
   */
  /** Whether the routing file names a provider for POST /v1/chat/completions. */
  get servesChatCompletions(): boolean {
    return this.#routing.chatCompletions !== null
  }

  plan(req: IncomingMessage, method: string, url: string, path: string, body: Buffer): ProviderPlan | ProxyError | null {
    if (method !== 'POST') return null
    if (path === MESSAGES_PATH) return this.#planMessages(body)
    const provider = this.#routing.chatCompletions
    if (path === CHAT_COMPLETIONS_PATH && provider !== null) {
      const query = url.slice(path.length)
      const headers = withBearer(stripCredentials(toUpstreamHeaders(req.rawHeaders, body.length)), provider)
      return { provider, routedModel: null, path: providerPath(provider, query), headers, body, translation: null }
    }
    return null
  }

  /** Hands the request to the provider's pool; undici reports every outcome to `handler`. */
  dispatch(plan: ProviderPlan, handler: Dispatcher.DispatchHandler, timeouts: { headersTimeout: number; bodyTimeout: number }): void {
    this.#poolFor(plan.provider).dispatch({ path: plan.path, method: 'POST', headers: plan.headers, body: plan.body, ...timeouts }, handler)
  }

  close(): Promise<void> {
    return Promise.all([...this.#pools.values()].map((pool) => pool.destroy())).then(() => undefined)
  }

  #planMessages(clientBody: Buffer): ProviderPlan | ProxyError | null {
    let route
    try {
      route = this.#routing.routeMessages(clientBody)
    } catch {
      // Routing must not throw; if it does, the request goes where it would without routing.
      return null
    }
    if (route === null) return null
    let chat
    try {
      chat = toChatRequest(clientBody.toString('utf8'), route.model)
    } catch (error) {
      if (error instanceof ChatRequestError) return new ProxyError('REQUEST_NOT_TRANSLATABLE', error.message)
      throw error
    }
    const body = Buffer.from(chat.body)
    const headers = withBearer(
      ['content-type', 'application/json', 'accept', chat.stream ? 'text/event-stream' : 'application/json', 'accept-encoding', 'identity', 'user-agent', 'claudescope', 'content-length', String(body.length)],
      route.provider,
    )
    const translation = new ChatToMessagesTranslation({ provider: route.provider.name, model: route.model, maxHeldBytes: this.#maxHeldBytes })
    return { provider: route.provider, routedModel: route.model, path: providerPath(route.provider, ''), headers, body, translation }
  }

  #poolFor(provider: ProviderTarget): Pool {
    const origin = new URL(provider.baseUrl).origin
    let pool = this.#pools.get(origin)
    if (pool === undefined) this.#pools.set(origin, (pool = new Pool(origin)))
    return pool
  }
}

function providerPath(provider: ProviderTarget, query: string): string {
  return `${new URL(provider.baseUrl).pathname.replace(/\/+$/, '')}/chat/completions${query}`
}

function stripCredentials(headers: string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < headers.length; i += 2) {
    const lower = headers[i].toLowerCase()
    if (CREDENTIAL_HEADERS.has(lower) || lower.startsWith('anthropic-')) continue
    out.push(headers[i], headers[i + 1])
  }
  return out
}

function withBearer(headers: string[], provider: ProviderTarget): string[] {
  return [...headers, 'authorization', `Bearer ${provider.apiKey}`]
}
