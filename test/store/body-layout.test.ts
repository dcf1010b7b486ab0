import { describe, expect, it } from 'vitest'
import { assembleBody, layOutBody, PART_MARK } from '../../server/store/contents/body-layout'
import { contentIdOf } from '../../server/store/contents/content-id'
import { KnownContents, CONTENT_REUSE_WINDOW_MS } from '../../server/store/contents/known-contents'
import { REQUEST_BODY_CASES } from '../support/request-bodies'

/** What the database would give back: the stored text, and the parts by id. */
function roundTrip(body: string): string {
  const stored = layOutBody(Buffer.from(body))
  const texts = new Map(stored.parts.map((part) => [part.id, part.bytes.toString('utf8')]))
  return assembleBody(stored.text.toString(), stored.contentIds, texts)
}

describe('layOutBody and assembleBody', () => {
  it.each(REQUEST_BODY_CASES)('give back the exact bytes of $name', ({ body }) => {
    expect(roundTrip(body)).toBe(body)
  })

  it('cuts out each system block, tool and message, and names each part by the hash of its bytes', () => {
    const body = JSON.parse(REQUEST_BODY_CASES[0]!.body) as { system: unknown[]; tools: unknown[]; messages: unknown[] }
    const stored = layOutBody(Buffer.from(REQUEST_BODY_CASES[0]!.body))

    expect(stored.parts.map((part) => JSON.parse(part.bytes.toString()) as unknown)).toEqual([...body.system, ...body.tools, ...body.messages])
    expect(stored.contentIds).toEqual(stored.parts.map((part) => contentIdOf(part.bytes)))
    expect(stored.text.toString()).toBe(
      REQUEST_BODY_CASES[0]!.body.replace(/"system":\[.*\],"tools"/, `"system":[${PART_MARK},${PART_MARK}],"tools"`).replace(/"tools":\[.*\],"messages":\[.*\],"metadata"/, `"tools":[${PART_MARK},${PART_MARK}],"messages":[${Array(5).fill(PART_MARK).join(',')}],"metadata"`),
    )
  })

  it('gives the same part the same id in every body that carries it, whatever surrounds it', () => {
    const first = layOutBody(Buffer.from('{"messages":[{"role":"user","content":"hi"}]}'))
    const later = layOutBody(Buffer.from('{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}'))
    expect(later.contentIds![0]).toBe(first.contentIds![0])
    expect(later.contentIds![1]).not.toBe(first.contentIds![0])
  })

  it('stores whole a body that is not JSON, not an object, or has none of the repeated arrays', () => {
    for (const body of [...REQUEST_BODY_CASES.filter((c) => c.storedWhole).map((c) => c.body), '{"model":"m","system":"text only"}', '']) {
      expect(layOutBody(Buffer.from(body))).toMatchObject({ contentIds: null, parts: [] })
    }
  })

  it('refuses to assemble a body whose part is missing or whose marks do not match its ids, instead of returning it incomplete', () => {
    const stored = layOutBody(Buffer.from('{"messages":[{"a":1},{"b":2}]}'))
    const texts = new Map(stored.parts.map((part) => [part.id, part.bytes.toString()]))
    texts.delete(stored.contentIds![1]!)
    expect(() => assembleBody(stored.text.toString(), stored.contentIds, texts)).toThrow(/missing its part/)
    expect(() => assembleBody(stored.text.toString(), stored.contentIds!.slice(1), texts)).toThrow(/damaged/)
  })
})

describe('KnownContents', () => {
  it('knows a content for the reuse window after it was written, and no longer', () => {
    let now = 0
    const known = new KnownContents({ now: () => now })
    known.add(['a'])
    now = CONTENT_REUSE_WINDOW_MS - 1
    expect(known.has('a')).toBe(true)
    now = CONTENT_REUSE_WINDOW_MS
    expect(known.has('a')).toBe(false)
  })

  it('forgets the entries written longest ago once it holds more than its bound', () => {
    const known = new KnownContents({ maxEntries: 2 })
    known.add(['a', 'b'])
    known.add(['a'])
    known.add(['c'])
    expect(['a', 'b', 'c'].filter((id) => known.has(id))).toEqual(['a', 'c'])
  })
})
