import { describe, expect, it, vi } from 'vitest'
import { messageKeyOf } from '../../server/conversations/message-key'
import { assembleBody, layOutBody, PART_MARK, storedPartRangesOf } from '../../server/store/contents/body-layout'
import { contentIdOf } from '../../server/store/contents/content-id'
import { partListOf, storedPartIds } from '../../server/store/contents/part-list'
import { KnownContents, CONTENT_REUSE_WINDOW_MS } from '../../server/store/contents/known-contents'
import { REQUEST_BODY_CASES } from '../support/request-bodies'

// The real hash, counted: a later turn's layout hashes the parts it did not resend, and no others.
vi.mock(import('../../server/store/contents/content-id'), async (importOriginal) => {
  const { contentIdOf } = await importOriginal()
  return { contentIdOf: vi.fn(contentIdOf) }
})

/** A JSON value with every `cache_control` member left out, at any depth. */
function withoutCacheControl(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutCacheControl)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(Object.entries(value).filter(([key]) => key !== 'cache_control').map(([key, v]) => [key, withoutCacheControl(v)]))
}

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

  it('cuts out each system block, tool and message without its cache_control, and names each part by the hash of its bytes', () => {
    const body = JSON.parse(REQUEST_BODY_CASES[0]!.body) as { system: unknown[]; tools: unknown[]; messages: unknown[] }
    const stored = layOutBody(Buffer.from(REQUEST_BODY_CASES[0]!.body))

    expect(stored.parts.map((part) => JSON.parse(part.bytes.toString()) as unknown)).toEqual([...body.system, ...body.tools, ...body.messages].map(withoutCacheControl))
    expect(stored.contentIds).toEqual(stored.parts.map((part) => contentIdOf(part.bytes)))
    const skeletonWithoutMarks = stored.text.toString().replace(/\u0002\d+\u0002[^\u0003]*\u0003/g, '')
    expect(skeletonWithoutMarks).toBe(
      REQUEST_BODY_CASES[0]!.body.replace(/"system":\[.*\],"tools"/, `"system":[${PART_MARK},${PART_MARK}],"tools"`).replace(/"tools":\[.*\],"messages":\[.*\],"metadata"/, `"tools":[${PART_MARK},${PART_MARK}],"messages":[${Array(5).fill(PART_MARK).join(',')}],"metadata"`),
    )
  })

  it('stores once the message Claude Code marks for caching on one turn and resends unmarked on the next', () => {
    const first = '{"role":"user","content":[{"type":"text","text":"café ☕ first"}]}'
    const marked = (message: string) => message.replace(/"}]}$/, '","cache_control":{"type":"ephemeral"}}]}')
    const second = '{"role":"user","content":[{"type":"text","text":"second 日本語"}]}'
    const turn1 = `{"model":"m","messages":[${marked(first)}]}`
    const turn2 = `{"model":"m","messages":[${first},{"role":"assistant","content":"ok"},${marked(second)}]}`
    const one = layOutBody(Buffer.from(turn1))
    const two = layOutBody(Buffer.from(turn2))

    expect(two.contentIds![0]).toBe(one.contentIds![0])
    expect(two.parts[0]!.bytes.toString()).toBe(first)
    expect(two.parts[2]!.bytes.toString()).toBe(second)
    expect(roundTrip(turn1)).toBe(turn1)
    expect(roundTrip(turn2)).toBe(turn2)
    // Grouping's key of the marked message, read from its whole bytes, is the stored part's id.
    expect(messageKeyOf(Buffer.from(marked(second)), 'a content id of the marked bytes')).toBe(two.contentIds![2]!.replaceAll('-', ''))
  })

  it.each([
    ['first among its members', '{"role":"user","content":[{"cache_control":{"type":"ephemeral"},"type":"text","text":"x"}]}'],
    ['its only member', '{"role":"user","content":[{"cache_control":{"type":"ephemeral"}}]}'],
    ['spaced, with a TTL', '{ "role": "user", "content": [ { "type": "text", "text": "ünïcödé 😀" ,\n  "cache_control" : { "type": "ephemeral", "ttl": "1h" } } ] }'],
    ['on several blocks', '{"role":"user","content":[{"type":"text","text":"é","cache_control":{"type":"ephemeral"}},{"type":"text","text":"😀","cache_control":{"type":"ephemeral","ttl":"5m"}}]}'],
    ['named inside a string only', '{"role":"user","content":[{"type":"text","text":"\\"cache_control\\":{\\"type\\":\\"ephemeral\\"}"}]}'],
  ])('gives back the exact bytes of a message whose cache_control is %s', (_, message) => {
    const body = `{"messages":[${message},${message}],"system":[${message}]}`
    expect(roundTrip(body)).toBe(body)
    const stored = layOutBody(Buffer.from(body))
    for (const part of stored.parts) expect(JSON.parse(part.bytes.toString())).toEqual(withoutCacheControl(JSON.parse(message)))
  })

  it('reads where the parts lie and each part\'s cache_control from the skeleton alone', () => {
    const body = REQUEST_BODY_CASES[0]!.body
    const stored = layOutBody(Buffer.from(body))
    const read = storedPartRangesOf(stored.text.toString(), stored.contentIds!.length)!
    const parsed = JSON.parse(body) as { system: unknown[]; tools: unknown[]; messages: unknown[] }

    expect(Object.fromEntries(read.ranges)).toEqual({ system: { start: 0, end: 2 }, tools: { start: 2, end: 4 }, messages: { start: 4, end: 9 } })
    const marksOf = (element: unknown) => JSON.stringify(element).match(/"cache_control":\{[^{}]*\}/g)?.join('') ?? ''
    expect(read.cacheControls.map((marks) => marks.replace(/^,|,$/g, ''))).toEqual([...parsed.system, ...parsed.tools, ...parsed.messages].map(marksOf))
    expect(storedPartRangesOf(stored.text.toString(), stored.contentIds!.length + 1)).toBeNull()
  })

  it('gives the same part the same id in every body that carries it, whatever surrounds it', () => {
    const first = layOutBody(Buffer.from('{"messages":[{"role":"user","content":"hi"}]}'))
    const later = layOutBody(Buffer.from('{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}'))
    expect(later.contentIds![0]).toBe(first.contentIds![0])
    expect(later.contentIds![1]).not.toBe(first.contentIds![0])
  })

  describe('after an earlier turn of the conversation', () => {
    const message = (role: string, text: string) => JSON.stringify({ role, content: [{ type: 'text', text }] })
    const mark = (message: string) => message.replace(/"}]}$/, '","cache_control":{"type":"ephemeral"}}]}')
    const system = JSON.stringify([{ type: 'text', text: 'You are Claude Code.' }, { type: 'text', text: 'rules '.repeat(4000), cache_control: { type: 'ephemeral' } }])
    const tools = JSON.stringify(Array.from({ length: 6 }, (_, i) => ({ name: `Tool${i}`, description: `tool ${i} `.repeat(300), input_schema: { type: 'object' } })))
    // Claude Code's order: the messages first, then the system prompt and the tools, the same on every turn.
    const turn = (messages: string[]) => Buffer.from(`{"model":"m","messages":[${[...messages.slice(0, -1), mark(messages.at(-1)!)].join(',')}],"system":${system},"tools":${tools},"stream":true}`)
    const hashes = () => vi.mocked(contentIdOf).mock.calls.length

    it('hashes only the parts it did not resend, and takes the ids of the others over', () => {
      const history = [message('user', 'café ☕ first'), message('assistant', 'ok'), message('user', 'second 日本語')]
      const earlier = turn(history)
      const later = turn([...history, message('assistant', 'done'), message('user', 'third')])
      const first = layOutBody(earlier)
      const before = hashes()
      const second = layOutBody(later)

      // The message that lost its mark, the two new ones, the part list is the earlier one, and so is the system block marked on every turn.
      expect(hashes() - before).toBe(3)
      expect(second.partList).toEqual(first.partList)
      expect(second.contentIds).toEqual(second.parts.map((part) => contentIdOf(part.bytes)))
      expect(second.contentIds!.filter((id) => first.contentIds!.includes(id))).toHaveLength(first.contentIds!.length)
      expect(roundTrip(later.toString())).toBe(later.toString())
    })

    it('hashes again an element whose end the shared first bytes do not settle: a number the earlier body went on with', () => {
      const earlier = Buffer.from(`{"messages":[${message('user', 'x'.repeat(100))},12],"system":${system}}`)
      const later = Buffer.from(`{"messages":[${message('user', 'x'.repeat(100))},1],"system":${system}}`)
      layOutBody(earlier)
      const second = layOutBody(later)

      expect(second.parts.map((part) => part.bytes.toString()).slice(1, 2)).toEqual(['1'])
      expect(second.contentIds).toEqual(second.parts.map((part) => contentIdOf(part.bytes)))
    })
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
    expect(known.knownNow()('a')).toBe(true)
    now = CONTENT_REUSE_WINDOW_MS
    expect(known.knownNow()('a')).toBe(false)
  })

  it('answers a batch as of the moment its check began', () => {
    let now = 0
    const known = new KnownContents({ now: () => now })
    known.add(['a', 'b'])
    now = CONTENT_REUSE_WINDOW_MS - 1
    const isKnown = known.knownNow()
    now = CONTENT_REUSE_WINDOW_MS
    expect(['a', 'b'].map(isKnown)).toEqual([true, true])
    expect(known.knownNow()('a')).toBe(false)
  })

  it('forgets the entries written longest ago once it holds more than its bound', () => {
    const known = new KnownContents({ maxEntries: 2 })
    known.add(['a', 'b'])
    known.add(['a'])
    known.add(['c'])
    expect(['a', 'b', 'c'].filter(known.knownNow())).toEqual(['a', 'c'])
  })
})

describe('partListOf and storedPartIds', () => {
  const ids = (count: number, from = 0) => Array.from({ length: count }, (_, i) => contentIdOf(Buffer.from(`part ${from + i}`)))

  it('lists every part but the newest messages, those past the last whole run of 32: the same list for the turns that add to them', () => {
    const prefix = ids(2, 900)
    const turn = (messages: number) => [...prefix, ...ids(messages)]
    const first = partListOf(turn(31), { start: 2, end: 33 })!
    expect(first).toMatchObject({ ids: prefix, ownAt: 2 })
    const list = partListOf(turn(32), { start: 2, end: 34 })!
    expect(list).toMatchObject({ ids: turn(32), ownAt: 34 })
    expect(partListOf(turn(63), { start: 2, end: 65 })).toEqual(list)
    expect(partListOf(turn(64), { start: 2, end: 66 })!.ids).toEqual(turn(64))
    expect(partListOf(turn(64), { start: 2, end: 66 })!.id).not.toBe(list.id)
    expect(partListOf([...prefix, ...ids(31), ...ids(1, 99)], { start: 2, end: 34 })!.id).not.toBe(list.id)
  })

  it('lists the parts on both sides of the messages: Claude Code sends them before the system prompt and the tools', () => {
    const messages = ids(40)
    const tools = ids(5, 100)
    const bodyOf = (count: number) => Buffer.from(JSON.stringify({ model: 'm', messages: messages.slice(0, count).map((id) => ({ role: 'user', content: id })), system: [{ type: 'text', text: 's' }], tools: tools.map((name) => ({ name })) }))
    const layout = layOutBody(bodyOf(40))
    const first = layOutBody(bodyOf(33))

    expect(layout.partList).toMatchObject({ ownAt: 32, ids: [...layout.contentIds!.slice(0, 32), ...layout.contentIds!.slice(40)] })
    expect(first.partList).toEqual(layout.partList)
    expect(layout.ownIds).toEqual(layout.contentIds!.slice(32, 40))
    expect(storedPartIds({ id: layout.partList!.id, listAt: null, ownAt: 32 }, layout.ownIds, new Map([[layout.partList!.id, layout.partList!.ids]]))).toEqual(layout.contentIds)
  })

  it('names no list for a body with fewer than two parts besides its newest messages, and one for a body without messages', () => {
    expect(partListOf(ids(1), { start: 0, end: 1 })).toBeNull()
    expect(partListOf([...ids(1, 50), ...ids(3)], { start: 1, end: 4 })).toBeNull()
    expect(partListOf(ids(3), null)).toMatchObject({ ids: ids(3), ownAt: 3 })
  })

  it('gives back a row\'s part ids whole, in either placement of its list, and refuses a row whose list is missing rather than return a body without its parts', () => {
    // Rows stored when a list held the first messages alone: its ids go among the row's own.
    const earlier = { id: contentIdOf(Buffer.from(ids(32, 6).join(','))), ids: ids(32, 6) }
    const own = [...ids(6), ...ids(8, 38)]
    expect(storedPartIds({ id: earlier.id, listAt: 6, ownAt: null }, own, new Map([[earlier.id, earlier.ids]]))).toEqual(ids(46))
    expect(storedPartIds({ id: null, listAt: null, ownAt: null }, ids(3), new Map())).toEqual(ids(3))
    expect(storedPartIds({ id: null, listAt: null, ownAt: null }, null, new Map())).toBeNull()
    expect(() => storedPartIds({ id: earlier.id, listAt: 6, ownAt: null }, own, new Map())).toThrow(/missing its part list/)
    const list = partListOf(ids(46), { start: 6, end: 46 })!
    expect(() => storedPartIds({ id: list.id, listAt: null, ownAt: list.ownAt }, ids(8, 38), new Map())).toThrow(/missing its part list/)
  })
})
