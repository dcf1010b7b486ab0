/**
 * How long a content stays known after this process wrote or refreshed its row. Retention deletes
 * only contents whose `last_used_at` is older than its cutoff less this window, and a write sets
 * `last_used_at` to now: so a part skipped because it is known is never one retention deletes,
 * even while both run.
 */
export const CONTENT_REUSE_WINDOW_MS = 60 * 60 * 1000

/** Enough for the histories of many long conversations; an entry costs about 100 bytes. */
const DEFAULT_MAX_ENTRIES = 100_000

/**
 * Content ids this process stored recently, so the unchanged parts of a body (the system prompt,
 * the tools and the whole history, which Claude Code resends on every turn) are not sent to the
 * database again. Bounded: the oldest entries go first. Once an entry expires its part is sent
 * again, which refreshes `last_used_at` (see CONTENT_REUSE_WINDOW_MS).
 */
export class KnownContents {
  /** Content id → when it was written, oldest first (a Map keeps insertion order). */
  readonly #writtenAt = new Map<string, number>()

  constructor(
    private readonly options: { maxEntries?: number; now?: () => number } = {},
  ) {}

  /** Whether an id is known, as of now, for every part of a batch: the clock is read once, not once per part (tens of thousands a second under load). */
  knownNow(): (id: string) => boolean {
    const now = this.#now()
    return (id) => this.#isKnownAt(id, now)
  }

  #isKnownAt(id: string, now: number): boolean {
    const writtenAt = this.#writtenAt.get(id)
    if (writtenAt === undefined) return false
    if (now - writtenAt < CONTENT_REUSE_WINDOW_MS) return true
    this.#writtenAt.delete(id)
    return false
  }

  /** Records `ids` as written now; call once their write has committed. */
  add(ids: Iterable<string>): void {
    const now = this.#now()
    for (const id of ids) {
      this.#writtenAt.delete(id)
      this.#writtenAt.set(id, now)
    }
    const excess = this.#writtenAt.size - (this.options.maxEntries ?? DEFAULT_MAX_ENTRIES)
    if (excess <= 0) return
    let left = excess
    for (const id of this.#writtenAt.keys()) {
      if (left-- === 0) break
      this.#writtenAt.delete(id)
    }
  }

  #now(): number {
    return (this.options.now ?? Date.now)()
  }
}
