/** The first batch's size when the largest allowed is bigger: small enough to be quick on any table. */
const FIRST_SIZE = 10

export interface BatchSizerOptions {
  /** Most rows a batch may hold. */
  maxSize: number
  /** How long one batch should take, in milliseconds. */
  targetMs: number
}

/**
 * The size of the next batch of a long series of statements, so each takes about `targetMs`
 * whatever a row costs (a request may have thousands of stream chunks, or none). It starts small,
 * grows at most twofold per batch while batches are quicker than the target, and shrinks in
 * proportion after a slower one, never below one row.
 */
export class BatchSizer {
  #size: number

  constructor(private readonly options: BatchSizerOptions) {
    this.#size = Math.min(options.maxSize, FIRST_SIZE)
  }

  get size(): number {
    return this.#size
  }

  /** Adjusts the size to the time a batch of the current size took. */
  took(ms: number): void {
    const fitting = ms > 0 ? Math.floor((this.#size * this.options.targetMs) / ms) : Infinity
    this.#size = Math.max(1, Math.min(this.options.maxSize, this.#size * 2, fitting))
  }
}
