import { isJsonObject, parseJsonObject } from '../../wire/json-object'
import type { TextRange } from './redact-patterns'
import type { TextRedactor } from './redact'
import type { StreamChunkRecord } from '../../records/request-record'

/** The member of a `content_block_delta`'s delta that carries a piece of the block's text, by delta type. */
const TEXT_MEMBER: Record<string, string> = { text_delta: 'text', thinking_delta: 'thinking', input_json_delta: 'partial_json' }

/** A delta event's share of its block's text: `text` starts at `offset` within the block. */
interface Piece {
  delta: Record<string, unknown>
  member: string
  offset: number
  text: string
  /** Set once the block was redacted and this piece held part of a match. */
  rewritten?: string
}

interface HeldEvent {
  chunk: StreamChunkRecord
  /** The parsed data of a delta event that carries text; null for any other event. */
  parsed: Record<string, unknown> | null
  piece: Piece | null
  /** Still waiting for its content block to close. */
  isHeld: boolean
}

interface OpenBlock {
  text: string
  events: HeldEvent[]
}

/**
 * Redacts a stream's events with knowledge of the deltas: a secret may arrive cut across several
 * `content_block_delta` events (and across reads), where no single event matches. The delta events
 * of a content block are held until the block closes (or the stream ends); the patterns then run
 * over the block's whole text, and every delta holding part of a match is rewritten: the
 * fingerprint goes where the match starts and the rest of the match is removed from the deltas it
 * spans, so the deltas still add up to the redacted text of the block. Every event is redacted on
 * its own too. Events come out in order: a block still open holds back the events behind it.
 */
export class StreamRedaction {
  readonly #redactor: TextRedactor
  readonly #emit: (chunk: StreamChunkRecord, isRewritten: boolean) => void
  readonly #queue: HeldEvent[] = []
  readonly #openBlocks = new Map<number, OpenBlock>()

  /** `emit` gets each event redacted, and whether its data differs from what upstream sent. */
  constructor(redactor: TextRedactor, emit: (chunk: StreamChunkRecord, isRewritten: boolean) => void) {
    this.#redactor = redactor
    this.#emit = emit
  }

  /** Takes the next event as upstream sent it. */
  push(chunk: StreamChunkRecord): void {
    const held: HeldEvent = { chunk, parsed: null, piece: null, isHeld: false }
    if (chunk.event === 'content_block_start' || chunk.event === 'content_block_delta' || chunk.event === 'content_block_stop') this.#track(held)
    this.#queue.push(held)
    this.#flush()
  }

  /** The stream is over: blocks left open are redacted with the text they have, and everything held comes out. */
  end(): void {
    for (const block of this.#openBlocks.values()) this.#close(block)
    this.#openBlocks.clear()
    this.#flush()
  }

  #track(held: HeldEvent): void {
    const data = parseJsonObject(held.chunk.data)
    const index = data?.index
    if (typeof index !== 'number') return
    if (held.chunk.event === 'content_block_start') {
      // A block index seen again starts a new block: what the old one held is released as it is.
      const previous = this.#openBlocks.get(index)
      if (previous !== undefined) this.#close(previous)
      this.#openBlocks.set(index, { text: '', events: [] })
      return
    }
    const block = this.#openBlocks.get(index)
    if (block === undefined) return
    if (held.chunk.event === 'content_block_stop') {
      this.#openBlocks.delete(index)
      this.#close(block)
      return
    }
    const delta = data!.delta
    if (!isJsonObject(delta) || typeof delta.type !== 'string') return
    const member = TEXT_MEMBER[delta.type]
    const text = member === undefined ? undefined : delta[member]
    if (typeof text !== 'string') return
    held.parsed = data
    held.piece = { delta, member: member!, offset: block.text.length, text }
    held.isHeld = true
    block.text += text
    block.events.push(held)
  }

  /** Redacts a block's whole text and rewrites the pieces that hold part of a match. */
  #close(block: OpenBlock): void {
    const matches = this.#redactor.findMatches(block.text)
    let first = 0
    for (const held of block.events) {
      held.isHeld = false
      const piece = held.piece!
      const end = piece.offset + piece.text.length
      while (first < matches.length && matches[first]!.end <= piece.offset) first++
      if (first < matches.length && matches[first]!.start < end) piece.rewritten = this.#rewrite(block.text, piece.offset, end, matches, first)
    }
  }

  /** The text of `[start, end)` of a block with every match in it replaced (a match starting before `start` leaves nothing here). */
  #rewrite(text: string, start: number, end: number, matches: readonly TextRange[], first: number): string {
    let out = ''
    let from = start
    for (let i = first; i < matches.length && matches[i]!.start < end; i++) {
      const match = matches[i]!
      if (match.start >= start) out += text.slice(from, match.start) + this.#redactor.replacement(text.slice(match.start, match.end))
      from = Math.min(match.end, end)
    }
    return out + text.slice(from, end)
  }

  #flush(): void {
    while (this.#queue.length > 0 && !this.#queue[0]!.isHeld) {
      const { chunk, parsed, piece } = this.#queue.shift()!
      let data = chunk.data
      if (piece?.rewritten !== undefined) {
        piece.delta[piece.member] = piece.rewritten
        data = JSON.stringify(parsed)
      }
      // Event types are the protocol's fixed words; only the data can carry a secret.
      data = this.#redactor.redact(data)
      this.#emit({ ...chunk, data }, data !== chunk.data)
    }
  }
}
