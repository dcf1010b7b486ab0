import { LosslessNumber, stringify as stringifyLossless } from 'lossless-json'

/**
 * Claude-Code-shaped Messages request bodies of one conversation, turn by turn. Every turn resends
 * the same system prompt and tools (the fixed prefix) and the whole history, plus the reply to the
 * previous turn and a new user message: what a store has to keep apart to grow with what is new.
 * Content is random (words of a large random vocabulary, random base64), so compression alone
 * cannot make a stored body small; tool inputs now and then hold integers beyond 2^53.
 */
export interface ConversationOptions {
  /** The same seed gives the same bodies, byte for byte. */
  seed: number
  /** Bytes of `system` and `tools` serialised, the part every turn repeats unchanged. @default 51_200 */
  prefixBytes?: number
  /** About this many bytes of new message content per turn (the reply and the new user message). @default 2048 */
  turnBytes?: number
  /** The body's `stream` flag. @default true */
  stream?: boolean
  /** Every this many turns the new user message opens with a screenshot (a PNG image block); 0 for never. @default 0 */
  screenshotEvery?: number
  /** Bytes of a screenshot's base64 `data`. @default 409_600 */
  screenshotBytes?: number
}

const MODEL = 'claude-sonnet-4-5-20250929'
const IDENTITY = "You are Claude Code, Anthropic's official CLI for Claude."
const EPHEMERAL = { type: 'ephemeral' } as const
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const LETTERS = 'abcdefghijklmnopqrstuvwxyz'
const VOCABULARY_SIZE = 50_000
/** Share of a turn's bytes each part takes, so a turn adds about `turnBytes` whatever its kind. */
const SHARES = { replyText: 0.15, toolInput: 0.25, toolResult: 0.6, textReply: 0.4, userText: 0.6 }
/** Share of the prefix the tools take; the instructions block fills the rest to the exact size. */
const TOOLS_SHARE = 0.55

/** mulberry32: small, fast, and the same sequence on every machine. */
function randomSource(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

class Random {
  readonly #next: () => number
  constructor(seed: number) {
    this.#next = randomSource(seed)
  }
  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.#next() * (max - min + 1))
  }
  chance(p: number): boolean {
    return this.#next() < p
  }
  chars(alphabet: string, length: number): string {
    let out = ''
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(this.#next() * alphabet.length)]
    return out
  }
  /** Words of the shared vocabulary, with sentence breaks, `bytes` long. */
  words(bytes: number): string {
    const vocabulary = sharedVocabulary()
    let out = ''
    while (out.length < bytes) out += vocabulary[this.int(0, VOCABULARY_SIZE - 1)] + (this.chance(0.08) ? '. ' : ' ')
    return out.slice(0, bytes)
  }
  base64(bytes: number): string {
    return this.chars(BASE64, bytes)
  }
  hex(length: number): string {
    return this.chars('0123456789abcdef', length)
  }
  uuid(): string {
    const h = this.hex(32)
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`
  }
}

let vocabulary: string[] | undefined
/** 50,000 random letter strings: prose-like text whose words rarely repeat within a compressor's window. */
function sharedVocabulary(): string[] {
  if (vocabulary) return vocabulary
  const random = new Random(0x5eed)
  vocabulary = Array.from({ length: VOCABULARY_SIZE }, () => random.chars(LETTERS, random.int(2, 11)))
  return vocabulary
}

type Block = Record<string, unknown>
interface Message {
  role: 'user' | 'assistant'
  content: Block[]
}

/** A conversation's bodies; `next()` is the request of the next turn. */
export class Conversation {
  readonly #random: Random
  readonly #turnBytes: number
  readonly #screenshotEvery: number
  readonly #screenshotBytes: number
  readonly #head: Buffer
  readonly #tail: Buffer
  readonly #tools: string[]
  /**
   * Every message but the last user message, each serialised once and followed by its comma:
   * earlier turns' bytes never change, and a body is one copy of them, not a new string to encode.
   */
  readonly #settled: Buffer[] = []
  /** The last user message: sent with the cache_control mark this turn, settled without it the next. */
  #lastUser: Message | undefined
  #turns = 0

  constructor(options: ConversationOptions) {
    this.#random = new Random(options.seed)
    this.#turnBytes = options.turnBytes ?? 2048
    this.#screenshotEvery = options.screenshotEvery ?? 0
    this.#screenshotBytes = options.screenshotBytes ?? 409_600
    const { system, tools } = this.#prefix(options.prefixBytes ?? 51_200)
    this.#tools = tools.map((tool) => tool.name as string)
    const userId = `user_${this.#random.hex(64)}_account_${this.#random.uuid()}_session_${this.#random.uuid()}`
    this.#head = Buffer.from(`{"model":${JSON.stringify(MODEL)},"messages":[`)
    this.#tail = Buffer.from(`],"temperature":1,"system":${JSON.stringify(system)},"tools":${JSON.stringify(tools)},"metadata":${JSON.stringify({ user_id: userId })},"max_tokens":32000,"stream":${options.stream ?? true}}`)
  }

  /** Turns asked for so far. */
  get turns(): number {
    return this.#turns
  }

  /** The next turn's body: the previous one's messages, the reply to it and a new user message. */
  next(): Buffer {
    if (this.#lastUser !== undefined) {
      const [reply, user] = this.#exchange()
      this.#settled.push(Buffer.from(`${serialise(this.#lastUser)},${serialise(reply)},`))
      this.#lastUser = user
    } else {
      this.#lastUser = { role: 'user', content: [{ type: 'text', text: this.#random.words(this.#turnBytes) }] }
    }
    this.#turns++
    if (this.#screenshotEvery > 0 && this.#turns % this.#screenshotEvery === 0) {
      const screenshot = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: this.#random.base64(this.#screenshotBytes) } }
      this.#lastUser = { ...this.#lastUser, content: [screenshot, ...this.#lastUser.content] }
    }
    const content = this.#lastUser.content
    const marked: Message = { role: 'user', content: [...content.slice(0, -1), { ...content.at(-1), cache_control: EPHEMERAL }] }
    return Buffer.concat([this.#head, ...this.#settled, Buffer.from(serialise(marked)), this.#tail])
  }

  /** The assistant's reply to the last turn and the user's next message: a tool round or a text round. */
  #exchange(): [Message, Message] {
    const r = this.#random
    const bytes = (share: number) => Math.round(this.#turnBytes * share)
    if (r.chance(0.3)) {
      return [
        { role: 'assistant', content: [{ type: 'text', text: r.words(bytes(SHARES.textReply)) }] },
        { role: 'user', content: [{ type: 'text', text: r.words(bytes(SHARES.userText)) }] },
      ]
    }
    const id = `toolu_01${r.chars(BASE64.slice(0, 62), 22)}`
    const input: Record<string, unknown> = { file_path: `/home/user/project/src/${r.words(12).replace(/\W/g, '')}.ts`, content: r.base64(bytes(SHARES.toolInput)) }
    if (r.chance(0.2)) input.offset = new LosslessNumber(String(2n ** 53n + BigInt(r.int(1, 1_000_000))))
    return [
      { role: 'assistant', content: [{ type: 'text', text: r.words(bytes(SHARES.replyText)) }, { type: 'tool_use', id, name: this.#tools[r.int(0, this.#tools.length - 1)], input }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: r.base64(bytes(SHARES.toolResult)) }] },
    ]
  }

  /** Claude Code's system (identity, then the instructions it marks for caching) and 20-40 tools, `bytes` together. */
  #prefix(bytes: number): { system: Block[]; tools: Block[] } {
    const r = this.#random
    const count = r.int(20, 40)
    const perTool = Math.floor((bytes * TOOLS_SHARE) / count)
    const tools = Array.from({ length: count }, (_, i) => {
      const properties = Object.fromEntries(Array.from({ length: r.int(1, 4) }, () => [r.words(10).replace(/\W/g, '_'), { type: 'string', description: r.words(60) }]))
      const tool = { name: `${r.words(8).replace(/\W/g, '')}_${i}`, description: '', input_schema: { type: 'object', properties, required: Object.keys(properties).slice(0, 1), additionalProperties: false, $schema: 'http://json-schema.org/draft-07/schema#' } }
      tool.description = r.words(Math.max(40, perTool - JSON.stringify(tool).length))
      return tool
    })
    const system: Block[] = [{ type: 'text', text: IDENTITY }, { type: 'text', text: '', cache_control: EPHEMERAL }]
    const fixed = JSON.stringify(system).length + JSON.stringify(tools).length
    system[1]!.text = r.words(Math.max(0, bytes - fixed))
    return { system, tools }
  }
}

/** Compact JSON, as JSON.stringify writes it, with integers beyond 2^53 kept digit for digit. */
const serialise = (message: Message) => stringifyLossless(message)!

/**
 * The throughput scenario's load: `count` requests over `concurrency` workers, each running
 * conversations of its own (seeds `seed`, `seed + 1000`, …) whose bodies grow to `maxBytes`,
 * with screenshots as `options` asks.
 */
export function conversationLoad(count: number, seed: number, concurrency: number, maxBytes: number, options: Pick<ConversationOptions, 'screenshotEvery' | 'screenshotBytes'> = {}): { perWorker: Buffer[][] } {
  return {
    perWorker: Array.from({ length: concurrency }, (_, worker) =>
      conversationBodies({ ...options, seed: seed + worker * 1000, maxBytes, stream: false, count: Math.floor(count / concurrency) + (worker < count % concurrency ? 1 : 0) }),
    ),
  }
}

/**
 * `count` bodies of successive conversations, each growing turn by turn until its next body would
 * pass `maxBytes`; the i-th conversation has seed `seed + i`.
 */
export function conversationBodies(options: ConversationOptions & { maxBytes: number; count: number }): Buffer[] {
  const bodies: Buffer[] = []
  let started = 0
  let conversation = new Conversation(options)
  while (bodies.length < options.count) {
    const body = conversation.next()
    if (body.length <= options.maxBytes) bodies.push(body)
    else if (conversation.turns === 1) throw new Error(`A conversation's first body has ${body.length} bytes, more than maxBytes (${options.maxBytes})`)
    else conversation = new Conversation({ ...options, seed: options.seed + ++started })
  }
  return bodies
}
