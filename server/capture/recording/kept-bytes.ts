/**
 * A response body's bytes as capture keeps them: copied into one buffer that doubles as it fills,
 * up to a limit. Keeping the reads themselves would hold a buffer object and its memory block for
 * every read of a stream (one per event, hundreds per stream) until the record is written; each
 * young-generation collection then copies those objects again. One block per body lets every read
 * die as soon as it was forwarded and parsed.
 */
export class KeptBytes {
  readonly #limit: number
  #buffer: Buffer | null = null
  #length = 0
  #isCut = false

  /** `limit`: the most bytes kept. */
  constructor(limit: number) {
    this.#limit = limit
  }

  /** Bytes kept so far. */
  get length(): number {
    return this.#length
  }

  /** A read was refused: the bytes kept are a prefix of the body, and stay so. */
  get isCut(): boolean {
    return this.#isCut
  }

  /** Appends `chunk` whole, or nothing of it and of any read after it once it would pass the limit. */
  add(chunk: Buffer): void {
    const length = this.#length + chunk.length
    if (this.#isCut || length > this.#limit) {
      this.#isCut = true
      return
    }
    const buffer = this.#buffer
    if (buffer === null || length > buffer.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.#limit, Math.max(length, 2 * (buffer?.length ?? 0), MIN_CAPACITY)))
      buffer?.copy(grown, 0, 0, this.#length)
      this.#buffer = grown
    }
    chunk.copy(this.#buffer!, this.#length)
    this.#length = length
  }

  /** The bytes kept, as a view (valid until the next `add`). */
  bytes(): Buffer {
    return this.#buffer === null ? EMPTY : this.#buffer.subarray(0, this.#length)
  }
}

/** The first block's least size: a small body is one allocation, a stream's first reads do not regrow it at once. */
const MIN_CAPACITY = 4096

const EMPTY = Buffer.alloc(0)
