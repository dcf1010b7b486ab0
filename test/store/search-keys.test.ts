import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { searchKeysOfPart, searchKeysOfSearch, SHORTEST_INDEXED_SEARCH } from '../../server/store/contents/search-keys'
import { seededRandom } from '../support/random-json'

/** Letters with and without case (a final sigma, a dotted capital I, a sharp s), digits, JSON's punctuation, a CJK letter and an emoji's surrogate pair. */
const ALPHABET = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 {}[]":,\\_-.', 'é', 'É', 'Σ', 'σ', 'ς', 'İ', 'ß', '日', '😀']

/** `c` or another case of it that ILIKE may take as the same letter: one code unit, lowercasing alike (a dotted capital I as plain i). */
function anyCaseOf(c: string, random: () => number): string {
  const cases = [c, c.toUpperCase(), c.toLowerCase(), c === 'İ' ? 'i' : c].filter((v) => v.length === 1 && v.toLowerCase()[0] === c.toLowerCase()[0])
  return cases[Math.floor(random() * cases.length)] ?? c
}

const holdsAll = (part: readonly number[], search: readonly number[]) => {
  const keys = new Set(part)
  return search.every((key) => keys.has(key))
}

describe('search keys', () => {
  it('gives a search only keys of every text holding it, whatever the case of either', () => {
    const random = seededRandom(7)
    let searchesWithKeys = 0
    for (let run = 0; run < 3000; run++) {
      const text = Array.from({ length: Math.floor(random() * 400) }, () => ALPHABET[Math.floor(random() * ALPHABET.length)]).join('')
      const start = Math.floor(random() * (text.length + 1))
      const end = Math.min(text.length, start + Math.floor(random() * 40))
      const search = [...text.slice(start, end)].map((c) => anyCaseOf(c, random)).join('')
      const keys = searchKeysOfSearch(search)
      expect(keys.length > 0).toBe(search.length >= SHORTEST_INDEXED_SEARCH)
      if (keys.length > 0) searchesWithKeys++
      expect(holdsAll(searchKeysOfPart(text), keys), `${JSON.stringify(search)} in ${JSON.stringify(text)}`).toBe(true)
    }
    expect(searchesWithKeys).toBeGreaterThan(1000)
  })

  it('keeps about two trigrams in seven of a text, each key once', () => {
    const random = seededRandom(11)
    const text = Array.from({ length: 4000 }, () => ALPHABET[Math.floor(random() * 62)]).join('')
    const keys = searchKeysOfPart(text)
    expect(new Set(keys).size).toBe(keys.length)
    expect(keys.length).toBeGreaterThan(0.22 * text.length)
    expect(keys.length).toBeLessThan(0.32 * text.length)
  })

  it('tells texts apart: a search is rarely taken for one it is not in', () => {
    const random = seededRandom(3)
    const word = () => Array.from({ length: 3 + Math.floor(random() * 6) }, () => ALPHABET[Math.floor(random() * 26)]).join('')
    const parts = Array.from({ length: 200 }, () => searchKeysOfPart(Array.from({ length: 300 }, word).join(' ')))
    const search = searchKeysOfSearch('unlikely phrase')
    expect(parts.filter((part) => holdsAll(part, search)).length).toBeLessThan(5)
  })

  it('leaves out base64 payloads: an image’s or a document’s data, a thinking block’s signature', () => {
    const payload = randomBytes(3000).toString('base64')
    // The member goes, key and value; the comma before it stays.
    const same = (part: unknown, without: string) => expect(new Set(searchKeysOfPart(JSON.stringify(part)))).toEqual(new Set(searchKeysOfPart(without)))
    same({ type: 'thinking', thinking: 'Check the margins first.', signature: payload }, '{"type":"thinking","thinking":"Check the margins first.",}')
    same({ type: 'redacted_thinking', data: payload }, '{"type":"redacted_thinking",}')
    same({ type: 'image', source: { type: 'base64', media_type: 'image/png', data: payload } }, '{"type":"image","source":{"type":"base64","media_type":"image/png",}}')
    // Text that merely looks like base64 is searchable.
    expect(searchKeysOfPart(JSON.stringify({ type: 'text', text: payload })).length).toBeGreaterThan(1000)
  })
})
