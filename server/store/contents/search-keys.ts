/**
 * Body search's index keys, computed here for both sides: a stored part's keys when it is written,
 * a search's when it runs. A part holding a search case-insensitively holds every key of the search,
 * so the index hands ILIKE every part that may match, and few that do not.
 *
 * A key stands for a few trigrams, not for each: of every window of SEARCH_WINDOW trigrams in a
 * row, the one whose hash is least (a minimizer) is kept, folded into SEARCH_KEY_SPACE buckets. A
 * search holding a whole window keeps that window's choice, and the part holding the search made the
 * same choice there. About two trigrams in seven are kept. Index upkeep in the database goes with
 * the keys per part, and computing them in the database cost as much again as upkeep: every
 * trigram took a separate set-returning call, a hash and an array append.
 *
 * Case is folded one UTF-16 code unit at a time, which keeps positions (a whole-string lowercase
 * changes a final sigma by context, and a few letters' length). Base64 payloads (an image's or a
 * document's `data`, a thinking block's `signature`) are left out: their trigrams are noise to a
 * search and a screenshot's alone would fill every bucket.
 *
 * Stored keys must agree with a search's: a change here needs a migration that computes every
 * stored part's keys again (as the one that added them does).
 */

/** Characters per gram. */
const GRAM = 3
/** Grams per window: one kept per window. */
const SEARCH_WINDOW = 6
/** Buckets the kept grams fold into: few enough that each bucket's list of parts compresses well. */
const SEARCH_KEY_SPACE = 8192
const KEY_SHIFT = 32 - Math.log2(SEARCH_KEY_SPACE)

/** The shortest search the keys can find (one whole window of grams); a shorter one reads every part. */
export const SHORTEST_INDEXED_SEARCH = SEARCH_WINDOW + GRAM - 1

const BASE64_PAYLOAD = /"(data|signature)"\s*:\s*"[A-Za-z0-9+/=\\]{64,}"/g

/** The keys of a stored part's JSON text, each once. */
export function searchKeysOfPart(text: string): number[] {
  return keysOf(text.replace(BASE64_PAYLOAD, ''))
}

/** The keys every part holding `search` holds, each once: none under SHORTEST_INDEXED_SEARCH characters. */
export function searchKeysOfSearch(search: string): number[] {
  return keysOf(search)
}

/**
 * Each UTF-16 code unit's lowercase, or that lowercase's first unit where it has two (a dotted
 * capital I, whose `i` a database's ILIKE may take for plain `i`); filled on first use.
 */
let foldedUnits: Uint16Array | null = null

function foldTable(): Uint16Array {
  if (foldedUnits !== null) return foldedUnits
  const table = new Uint16Array(0x10000)
  for (let unit = 0; unit < 0x10000; unit++) {
    const lower = String.fromCharCode(unit).toLowerCase()
    table[unit] = lower.charCodeAt(0)
  }
  return (foldedUnits = table)
}

/** Marks of the buckets a text already gave, cleared after each text. */
const seen = new Uint8Array(SEARCH_KEY_SPACE)
/**
 * The grams' hashes of the text at hand, for texts of up to 64 K grams (256 KB, kept); a longer
 * text gets a buffer of its own, so one huge part does not hold its size for the process's life.
 */
const keptHashes = new Int32Array(65_536)

function keysOf(text: string): number[] {
  const gramCount = text.length - GRAM + 1
  if (gramCount < SEARCH_WINDOW) return []
  const fold = foldTable()
  const hashes = gramCount <= keptHashes.length ? keptHashes : new Int32Array(gramCount)
  let a = fold[text.charCodeAt(0)]!
  let b = fold[text.charCodeAt(1)]!
  for (let i = 0; i < gramCount; i++) {
    const c = fold[text.charCodeAt(i + 2)]!
    hashes[i] = mix(Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77) ^ Math.imul(c, 0xc2b2ae3d))
    a = b
    b = c
  }
  const keys: number[] = []
  let least = 0
  let leastAt = -1
  for (let end = SEARCH_WINDOW - 1; end < gramCount; end++) {
    const start = end - SEARCH_WINDOW + 1
    if (leastAt < start) {
      // The window's least hash has slid out of it: look for the least again.
      least = hashes[start]!
      leastAt = start
      for (let i = start + 1; i <= end; i++) {
        if (hashes[i]! < least) {
          least = hashes[i]!
          leastAt = i
        }
      }
    } else if (hashes[end]! < least) {
      least = hashes[end]!
      leastAt = end
    } else {
      continue
    }
    // The bucket comes from a second mix: the least hashes of windows crowd the low end of the range.
    const key = Math.imul(least, 0x2c1b3c6d) >>> KEY_SHIFT
    if (seen[key] === 0) {
      seen[key] = 1
      keys.push(key)
    }
  }
  for (const key of keys) seen[key] = 0
  return keys
}

/** Murmur3's finaliser: every input bit moves every output bit. */
function mix(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return h ^ (h >>> 16)
}
