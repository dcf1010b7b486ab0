import { isEventStream } from '../wire/content-type'
import { errorEnvelopeJson } from '../wire/error-envelope'
import { toAnthropicErrorJson } from '../wire/openai/chat-error'
import { toAnthropicMessageJson } from '../wire/openai/chat-response'
import { ChatStreamTranslator } from '../wire/openai/chat-stream'
import { frameSseEvent } from '../wire/sse-frame'
import { SseParser } from '../wire/sse-parser'
import { toClientHeaders } from './hop-by-hop'
import { ProxyError } from './proxy-errors'
import type { ResponseTranslation, TranslatedHead } from './response-translation'

/** Headers describing the provider's bytes, not the answer the client gets, and the provider's cookies. */
const NOT_RELAYED = ['content-type', 'content-length', 'content-encoding', 'set-cookie', 'transfer-encoding']

/**
 * A Chat Completions provider's answer rewritten for a client of /v1/messages: a 2xx stream event
 * by event into an Anthropic stream, a JSON answer into a Message, an error into Anthropic's
 * envelope with the provider's status. The provider's other end-to-end headers (its request id,
 * rate limits) are kept, and its `x-request-id` is also given as `request-id`, where Anthropic
 * clients look for it.
 */
export class ChatToMessagesTranslation implements ResponseTranslation {
  readonly #provider: string
  readonly #model: string
  readonly #maxHeldBytes: number
  #stream: { parser: SseParser; translator: ChatStreamTranslator; out: string } | null = null
  #held: Buffer[] = []
  #heldBytes = 0
  #status = 0
  #headers: Record<string, string | string[]> = {}

  constructor(options: { provider: string; model: string; maxHeldBytes: number }) {
    this.#provider = options.provider
    this.#model = options.model
    this.#maxHeldBytes = options.maxHeldBytes
  }

  get isSse(): boolean {
    return this.#stream !== null
  }

  begin(status: number, headers: Readonly<Record<string, string | string[] | undefined>>): TranslatedHead | null {
    this.#status = status
    this.#headers = relayedHeaders(headers)
    const contentType = headers['content-type']
    if (status < 200 || status > 299 || typeof contentType !== 'string' || !isEventStream(contentType)) return null
    const translator = new ChatStreamTranslator({ model: this.#model, provider: this.#provider })
    const stream = { parser: new SseParser((event) => this.#write(translator.push(event.data))), translator, out: '' }
    this.#stream = stream
    return { status, headers: { ...this.#headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' } }
  }

  push(chunk: Buffer): Buffer | ProxyError {
    const stream = this.#stream
    if (stream !== null) {
      stream.parser.push(chunk)
      return this.#take()
    }
    this.#heldBytes += chunk.length
    if (this.#heldBytes > this.#maxHeldBytes) return new ProxyError('UPSTREAM_BAD_RESPONSE', `the ${this.#provider} answer outgrew the ${this.#maxHeldBytes} bytes held to translate it`)
    this.#held.push(chunk)
    return EMPTY
  }

  end(): { head: TranslatedHead | null; body: Buffer } {
    const stream = this.#stream
    if (stream !== null) {
      stream.parser.end()
      this.#write(stream.translator.end())
      return { head: null, body: this.#take() }
    }
    const text = Buffer.concat(this.#held).toString('utf8')
    let status = this.#status
    let json: string
    if (status >= 200 && status <= 299) {
      const message = toAnthropicMessageJson(text, this.#model)
      if (message === null) status = 502
      json = message ?? errorEnvelopeJson({ type: 'api_error', message: `${this.#provider} answered with something that is not a chat completion: ${text.slice(0, 500)}` })
    } else {
      json = toAnthropicErrorJson(status, text, this.#provider)
    }
    const body = Buffer.from(json)
    return { head: { status, headers: { ...this.#headers, 'content-type': 'application/json', 'content-length': String(body.length) } }, body }
  }

  #write(events: { event: string; data: string }[]): void {
    for (const e of events) this.#stream!.out += frameSseEvent(e.event, e.data)
  }

  #take(): Buffer {
    const stream = this.#stream!
    if (stream.out === '') return EMPTY
    const out = Buffer.from(stream.out)
    stream.out = ''
    return out
  }
}

const EMPTY = Buffer.alloc(0)

function relayedHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): Record<string, string | string[]> {
  const out = toClientHeaders(headers)
  for (const name of NOT_RELAYED) delete out[name]
  const requestId = out['x-request-id']
  if (requestId !== undefined && out['request-id'] === undefined) out['request-id'] = requestId
  return out
}
