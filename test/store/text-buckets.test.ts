import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { textBuckets } from '../../server/store/contents/text-buckets'

/** Characters whose case a search may change: ASCII, Latin with accents, final and medial sigma, dotted and dotless i, Kelvin and Ohm signs, CJK, astral letters with case (Deseret) and emoji. */
const ALPHABET = [...'aAbBzZ09 _-%\\"{}:,ßéÉüÜçÇσςΣιΙİıiIKkΩωΩ日本語テ', '𐐀', '𐐨', '😀', '\n']

/** Spellings of a character that PostgreSQL's `lower()` maps where it maps the character itself, one code point each. */
function sameLowerAs(char: string): string[] {
  const lower = char.toLowerCase()
  return ALPHABET.filter((other) => other === char || (other.toLowerCase() === lower && [...lower].length === 1))
}

const text = fc.array(fc.constantFrom(...ALPHABET), { maxLength: 80 }).map((chars) => chars.join(''))

describe('body search buckets', () => {
  it('gives a text every bucket of any search it contains, whatever the case of either', () => {
    fc.assert(
      fc.property(text, fc.nat(), fc.nat(), fc.infiniteStream(fc.nat()), (body, from, length, picks) => {
        const chars = [...body]
        const start = chars.length === 0 ? 0 : from % chars.length
        const searched = chars.slice(start, start + (length % 12))
        const choices = picks[Symbol.iterator]()
        const search = searched.map((char) => { const spellings = sameLowerAs(char); return spellings[choices.next().value! % spellings.length] }).join('')
        const held = new Set(textBuckets(body))
        expect(textBuckets(search).filter((bucket) => !held.has(bucket)), `${JSON.stringify(search)} in ${JSON.stringify(body)}`).toEqual([])
      }),
      { numRuns: 2000 },
    )
  })

  it('lists each bucket once, in ascending order, between 0 and 4,095', () => {
    const buckets = textBuckets('the flamingo ledger, the flamingo ledger, THE FLAMINGO LEDGER')
    expect(buckets.length).toBeGreaterThan(10)
    expect(buckets).toEqual([...new Set(buckets)].sort((a, b) => a - b))
    expect(buckets.every((bucket) => bucket >= 0 && bucket < 4096)).toBe(true)
    expect(textBuckets('THE FLAMINGO LEDGER')).toEqual(textBuckets('the flamingo ledger'))
  })

  it('has no bucket for a search under three characters, which then reads every part', () => {
    expect(textBuckets('')).toEqual([])
    expect(textBuckets('ab')).toEqual([])
    expect(textBuckets('abc')).toHaveLength(1)
  })

  it('gives every bucket to a text too long to read, and the same ones again to the next call', () => {
    const long = 'x'.repeat(256 * 1024 + 1)
    expect(textBuckets(long)).toHaveLength(4096)
    expect(textBuckets('xxxx')).toEqual(textBuckets('xxx'))
  })
})
