/**
 * Large request bodies read lately, so a body that resends most of one (Claude Code's next turn
 * resends the whole conversation before it) can take over what was found in its bytes instead of
 * reading them all again. Bounded in bodies and bytes: what it costs is a few comparisons of
 * bytes per body, at memcmp speed, against a scan and a hash of every part.
 */

/** What a body shares with an earlier one: the same first `prefix` bytes and the same last `suffix` bytes. */
export interface SharedBytes {
  earlier: Buffer
  prefix: number
  suffix: number
}

export interface RecentBodiesLimits {
  /** Smallest body worth remembering or comparing: below it a fresh read costs less. @default 16 KiB */
  minBytes: number
  /** Most bytes held, all bodies together; the least recently remembered go first. @default 16 MiB */
  maxBytes: number
  /** Most bodies held: about the conversations under way at once (each one's latest turn). @default 16 */
  maxBodies: number
}

/**
 * Bytes compared at first. While two bodies agree each comparison takes twice as many, and once
 * they part, half as many around where they do: a few dozen native comparisons for any size.
 */
const FIRST_BLOCK_BYTES = 4096

const DEFAULT_LIMITS: RecentBodiesLimits = { minBytes: 16 * 1024, maxBytes: 16 * 1024 * 1024, maxBodies: 16 }

export class RecentBodies {
  readonly limits: RecentBodiesLimits
  /** Most recently remembered first. */
  readonly #bodies: Buffer[] = []
  #bytes = 0

  constructor(limits: Partial<RecentBodiesLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits }
  }

  /** Bytes held: the whole allocations the bodies keep alive. */
  get bytes(): number {
    return this.#bytes
  }

  /**
   * The body that shares the longest first bytes with `body`, and how much it shares at either
   * end; null when none shares at least `minBytes`. A body of another conversation parts from it
   * within the first block, so asking all costs little more than asking the right one.
   */
  sharedWith(body: Buffer): SharedBytes | null {
    if (body.length < this.limits.minBytes) return null
    // Bodies that part within the first block are not worth placing exactly, unless none is better.
    let earlier: Buffer | null = null
    let prefix = -1
    for (const candidate of this.#bodies) {
      const shared = startsAlike(body, candidate) ? commonPrefixLength(body, candidate) : 0
      if (shared > prefix) [earlier, prefix] = [candidate, shared]
    }
    if (earlier === null) return null
    if (prefix === 0) prefix = commonPrefixLength(body, earlier)
    const suffix = commonSuffixLength(body, earlier, Math.min(body.length, earlier.length) - prefix)
    return prefix + suffix >= this.limits.minBytes ? { earlier, prefix, suffix } : null
  }

  /** Holds `body` for later ones, in place of `replacing` (the body it was read from, which it supersedes) when given. */
  remember(body: Buffer, replacing: Buffer | null): void {
    const held = body.buffer.byteLength
    if (body.length < this.limits.minBytes || held > this.limits.maxBytes / 4) return
    const replaced = replacing === null ? -1 : this.#bodies.indexOf(replacing)
    if (replaced !== -1) this.#forget(replaced)
    this.#bodies.unshift(body)
    this.#bytes += held
    while (this.#bodies.length > this.limits.maxBodies || this.#bytes > this.limits.maxBytes) this.#forget(this.#bodies.length - 1)
  }

  #forget(index: number): void {
    this.#bytes -= this.#bodies[index]!.buffer.byteLength
    this.#bodies.splice(index, 1)
  }
}

function startsAlike(a: Buffer, b: Buffer): boolean {
  return a.length >= FIRST_BLOCK_BYTES && b.length >= FIRST_BLOCK_BYTES && a.compare(b, 0, FIRST_BLOCK_BYTES, 0, FIRST_BLOCK_BYTES) === 0
}

/** How many first bytes `a` and `b` have in common. */
export function commonPrefixLength(a: Buffer, b: Buffer): number {
  return sharedLength(Math.min(a.length, b.length), (at, size) => a.compare(b, at, at + size, at, at + size) === 0)
}

/** How many last bytes `a` and `b` have in common, at most `limit`. */
export function commonSuffixLength(a: Buffer, b: Buffer, limit: number): number {
  return sharedLength(limit, (at, size) => a.compare(b, b.length - at - size, b.length - at, a.length - at - size, a.length - at) === 0)
}

/** How far two byte sequences agree, at most `limit`, given `agree(at, size)`: whether their `size` bytes from `at` on do. */
function sharedLength(limit: number, agree: (at: number, size: number) => boolean): number {
  let at = 0
  let step = FIRST_BLOCK_BYTES
  let growing = true
  while (step > 0 && at < limit) {
    const size = Math.min(step, limit - at)
    if (agree(at, size)) {
      at += size
      if (growing) step *= 2
    } else {
      growing = false
      step = size >>> 1
    }
  }
  return at
}
