import { describe, expect, it } from 'vitest'
import { commonPrefixLength, commonSuffixLength, RecentBodies } from '../../server/wire/recent-bodies'
import { scanTopLevel, topLevelMembers, type ScanReuse, type TopLevelObject } from '../../server/wire/top-level-members'
import { mutate, randomDocument, seededRandom } from '../support/random-json'

/** What a scan of `later` may take over from a scan of `earlier`: their shared first and last bytes. */
function reuseOf(earlier: Buffer, earlierScan: TopLevelObject, later: Buffer): ScanReuse {
  const prefix = commonPrefixLength(later, earlier)
  const suffix = commonSuffixLength(later, earlier, Math.min(later.length, earlier.length) - prefix)
  return { earlier: earlierScan, prefix, suffix, shift: later.length - earlier.length }
}

/** A later document: one mutation, an element added to an array, or a member dropped, as the next request of a session changes its body. */
function laterDocument(text: string, random: () => number): string {
  const r = random()
  if (r < 0.4) return mutate(text, random)
  if (r < 0.7) {
    const at = text.lastIndexOf(']', Math.floor(random() * text.length))
    return at === -1 ? mutate(text, random) : `${text.slice(0, at)}${text[at - 1] === '[' ? '' : ','}${randomDocument(random).trim()}${text.slice(at)}`
  }
  const from = Math.floor(random() * text.length)
  return text.slice(0, from) + text.slice(from + Math.floor(random() * 12))
}

/** A Claude Code turn: messages first, then the system prompt and the tools it resends unchanged, the last message marked for caching. */
function claudeCodeTurn(messages: string[]): Buffer {
  const marked = messages.map((message, i) => (i === messages.length - 1 ? message.replace(/"}]}$/, '","cache_control":{"type":"ephemeral"}}]}') : message))
  const system = JSON.stringify([{ type: 'text', text: 'You are Claude Code.' }, { type: 'text', text: 'x'.repeat(30_000), cache_control: { type: 'ephemeral' } }])
  const tools = JSON.stringify(Array.from({ length: 8 }, (_, i) => ({ name: `Tool${i}`, description: `Does thing ${i}. ${'y'.repeat(2000)}`, input_schema: { type: 'object' } })))
  return Buffer.from(`{"model":"claude-sonnet-4-5","messages":[${marked.join(',')}],"temperature":1,"system":${system},"tools":${tools},"metadata":{"user_id":"u"},"max_tokens":32000,"stream":true}`)
}

const message = (role: string, text: string) => JSON.stringify({ role, content: [{ type: 'text', text }] })

describe('a scan that takes over an earlier body’s scan', () => {
  it('finds what a fresh scan finds, for random documents and their edits, valid or not', () => {
    const random = seededRandom(0x5ca11)
    let reused = 0
    for (let i = 0; i < 4000; i++) {
      const earlier = Buffer.from(randomDocument(random, true))
      const earlierScan = scanTopLevel(earlier, null)
      if (earlierScan === null) continue
      const later = Buffer.from(laterDocument(earlier.toString(), random))
      const reuse = reuseOf(earlier, earlierScan, later)
      const fresh = scanTopLevel(later, null)
      const taken = scanTopLevel(later, reuse)
      if (JSON.stringify(taken) !== JSON.stringify(fresh)) throw new Error(`disagreement on ${JSON.stringify(later.toString())} after ${JSON.stringify(earlier.toString())}`)
      if (reuse.prefix > earlierScan.openAt + 1 || reuse.suffix > 1) reused++
    }
    expect(reused).toBeGreaterThan(3000)
  })

  it.each([
    ['an element the earlier body went on with', '{"messages":[1,23],"x":0}', '{"messages":[1,2],"x":0}'],
    ['a member value the earlier body went on with', '{"a":12,"b":[1]}', '{"a":1,"b":[1]}'],
    ['a literal cut short', '{"a":[true,null]}', '{"a":[true,nul]}'],
    ['an element the later body goes on with', '{"messages":[1,2]}', '{"messages":[1,23]}'],
    ['the same bytes', '{"messages":[1,2],"x":{}}', '{"messages":[1,2],"x":{}}'],
    ['shared last bytes inside a member', '{"a":"xyz","b":[3]}', '{"a":"wxyz","b":[3]}'],
    ['shared last bytes from a member on', '{"a":[1],"b":[3]}', '{"a":[1,2],"b":[3]}'],
    ['a member added at the end', '{"a":[1]}', '{"a":[1],"b":2}'],
    ['an empty object', '{}', '{ }'],
  ])('finds what a fresh scan finds at the edges of the shared bytes: %s', (_, earlierText, laterText) => {
    const earlier = Buffer.from(earlierText)
    const later = Buffer.from(laterText)

    expect(scanTopLevel(later, reuseOf(earlier, scanTopLevel(earlier, null)!, later))).toEqual(scanTopLevel(later, null))
  })

  it('takes the members and elements in the shared bytes over, and reads on from where they end', () => {
    const turn1 = claudeCodeTurn([message('user', 'first question')])
    const turn2 = claudeCodeTurn([message('user', 'first question'), message('assistant', 'an answer'), message('user', 'and a second')])
    const reuse = reuseOf(turn1, scanTopLevel(turn1, null)!, turn2)
    const object = scanTopLevel(turn2, reuse)

    // The first message is shared but for its mark; system, tools and the rest are shared to the end.
    expect(reuse.prefix).toBeGreaterThan(turn2.indexOf('first question'))
    expect(reuse.suffix).toBeGreaterThan(turn2.length - turn2.indexOf('"temperature"'))
    expect(object).toEqual(scanTopLevel(turn2, null))
    topLevelMembers(turn1)
    expect(topLevelMembers(turn2)).toEqual(object)
    expect(object!.members.map((m) => [m.key, m.elements?.length ?? null])).toEqual([
      ['model', null],
      ['messages', 3],
      ['temperature', null],
      ['system', 2],
      ['tools', 8],
      ['metadata', null],
      ['max_tokens', null],
      ['stream', null],
    ])
  })

  it('reads a body whose shared bytes hide an error elsewhere as not JSON', () => {
    const turn1 = claudeCodeTurn([message('user', 'question one')])
    topLevelMembers(turn1)
    const broken = Buffer.from(claudeCodeTurn([message('user', 'question one'), message('assistant', 'answer')]).toString().replace('"answer"', '"answer" oops'))

    expect(topLevelMembers(broken)).toBeNull()
    expect(scanTopLevel(broken, null)).toBeNull()
  })
})

describe('RecentBodies', () => {
  it('measures the bytes two bodies share at either end exactly, wherever they part', () => {
    const random = seededRandom(7)
    for (let i = 0; i < 300; i++) {
      const a = Buffer.alloc(Math.floor(random() * 40_000), 'x')
      const b = Buffer.from(a)
      const partAt = Math.floor(random() * (a.length + 1))
      if (partAt < b.length) b[partAt] = 0x79
      const naivePrefix = a.findIndex((byte, at) => byte !== b[at])

      expect(commonPrefixLength(a, b.subarray(0, b.length - (i % 3)))).toBe(Math.min(naivePrefix === -1 ? a.length : naivePrefix, b.length - (i % 3)))
      expect(commonSuffixLength(a, b, a.length)).toBe(partAt < a.length ? a.length - 1 - partAt : a.length)
    }
  })

  it('finds the body sharing the longest first bytes', () => {
    const recent = new RecentBodies({ minBytes: 64 })
    const common = '{"model":"m","messages":["' + 'a'.repeat(300)
    const shorter = Buffer.from(`${common}b"]}`)
    const longer = Buffer.from(`${common}${'c'.repeat(200)}"]}`)
    recent.remember(shorter, null)
    recent.remember(longer, null)

    const shared = recent.sharedWith(Buffer.from(`${common}${'c'.repeat(150)}d"]}`))
    expect(shared?.earlier).toBe(longer)
    expect(shared?.prefix).toBe(common.length + 150)
    expect(shared?.suffix).toBe(3)
  })

  it('holds a later turn in place of the one it was read from', () => {
    const recent = new RecentBodies({ minBytes: 64 })
    const first = Buffer.from(`{"model":"m","messages":["${'a'.repeat(1000)}"]}`)
    const next = Buffer.from(`{"model":"m","messages":["${'a'.repeat(1000)}","b"]}`)
    recent.remember(first, null)
    recent.remember(next, first)
    expect(recent.sharedWith(Buffer.from(next))?.earlier).toBe(next)
    expect(recent.bytes).toBe(next.buffer.byteLength)
  })

  it.each([
    ['bodies', { maxBodies: 8 }, 8],
    ['bytes', { maxBytes: 24 * 1024 }, 4],
  ])('holds no more %s than its limit', (_, limits, kept) => {
    const recent = new RecentBodies({ minBytes: 64, ...limits })
    // Each its own allocation (past Buffer's pool), of one size.
    const bodies = Array.from({ length: 50 }, (_, i) => Buffer.from(`{"model":"m","messages":["${i % 10}${'x'.repeat(5000)}"]}`))
    for (const each of bodies) recent.remember(each, null)

    expect(recent.bytes).toBe(kept * bodies[0]!.buffer.byteLength)
    expect(recent.sharedWith(Buffer.from(bodies.at(-1)!))?.earlier).toBe(bodies.at(-1))
  })

  it('leaves small bodies alone, which a fresh read costs less than a comparison', () => {
    const recent = new RecentBodies()
    const small = Buffer.from('{"model":"m","messages":["hi"]}')
    recent.remember(small, null)

    expect(recent.bytes).toBe(0)
    expect(recent.sharedWith(small)).toBeNull()
  })
})
