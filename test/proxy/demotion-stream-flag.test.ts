import { describe, expect, it } from 'vitest'
import { withStreamRequested } from '../../server/proxy/stream-flag'
import { topLevelMembers } from '../../server/wire/top-level-members'
import { mutate, randomDocument, seededRandom } from '../support/random-json'

const edit = (body: string): string | null => withStreamRequested(Buffer.from(body))?.toString() ?? null

/** A request whose earlier turn holds a tool input with an integer above 2^53 and a decimal that JSON.parse would reformat. */
const BIG_INTEGER_BODY =
  '{"model":"claude-sonnet-4-5","max_tokens":1024,"messages":[' +
  '{"role":"user","content":"Look up account 12345678901234567890"},' +
  '{"role":"assistant","content":[{"type":"tool_use","id":"toolu_01","name":"get_account","input":{"account_id":12345678901234567890,"limit":1.50,"ratio":1e400,"exact":-0.000000000000000000001}}]},' +
  '{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_01","content":"{\\"stream\\": false, \\"balance\\": 98765432109876543210}"}]}]}'

describe('withStreamRequested', () => {
  it('inserts "stream":true right after the opening brace when the body has no stream member', () => {
    expect(edit(BIG_INTEGER_BODY)).toBe(`{"stream":true,${BIG_INTEGER_BODY.slice(1)}`)
  })

  it('keeps every other byte when it inserts: leading whitespace, pretty-printing, key order', () => {
    const body = ' \r\n\t{\n  "model" : "claude-opus-4-6",\n  "max_tokens" : 16\n}\n'

    expect(edit(body)).toBe(' \r\n\t{"stream":true,\n  "model" : "claude-opus-4-6",\n  "max_tokens" : 16\n}\n')
  })

  it('makes an empty object {"stream":true} without a dangling comma', () => {
    expect(edit('{}')).toBe('{"stream":true}')
    expect(edit('{ \n }')).toBe('{"stream":true \n }')
  })

  it.each([
    ['compact', '{"model":"m","stream":false,"max_tokens":1}', '{"model":"m","stream":true,"max_tokens":1}'],
    ['spaced', '{"model": "m", "stream": false}', '{"model": "m", "stream": true}'],
    ['spread over lines', '{\n  "stream"\n  :\r\n\tfalse\n  ,"model":"m"\n}', '{\n  "stream"\n  :\r\n\ttrue\n  ,"model":"m"\n}'],
    ['first member', '{"stream":false,"model":"m"}', '{"stream":true,"model":"m"}'],
    ['last member', '{"model":"m","stream":false}', '{"model":"m","stream":true}'],
  ])('replaces a top-level "stream": false in place (%s)', (_name, body, expected) => {
    expect(edit(body)).toBe(expected)
  })

  it('replaces only the value when the body holds big integers, leaving them digit for digit', () => {
    const body = BIG_INTEGER_BODY.replace('"max_tokens":1024,', '"max_tokens":1024,"stream":false,')

    expect(edit(body)).toBe(body.replace('"stream":false,', '"stream":true,'))
  })

  it('recognises a key spelled with escapes as the stream member', () => {
    expect(edit('{"str\\u0065am":false,"model":"m"}')).toBe('{"str\\u0065am":true,"model":"m"}')
  })

  it('ignores "stream" inside strings and nested objects and arrays', () => {
    const body =
      '{"metadata":{"stream":false,"nested":[{"stream":false}]},"system":"say \\"stream\\": false",' +
      '"messages":[{"role":"user","content":"{\\"stream\\":false}"}],"tools":[{"name":"stream","input_schema":{"type":"object","properties":{"stream":{"type":"boolean"}}}}]}'

    expect(edit(body)).toBe(`{"stream":true,${body.slice(1)}`)
  })

  it('leaves a body that already asks for a stream alone', () => {
    expect(edit('{"model":"m","stream":true}')).toBeNull()
    expect(edit('{"model":"m", "stream" :  true }')).toBeNull()
  })

  it.each([
    ['a string', '{"stream":"false"}'],
    ['null', '{"stream":null}'],
    ['a number', '{"stream":0}'],
    ['an object', '{"stream":{"enabled":false}}'],
    ['written twice', '{"stream":false,"model":"m","stream":false}'],
  ])('forwards a body whose stream member is %s unchanged (upstream decides)', (_name, body) => {
    expect(edit(body)).toBeNull()
  })

  it.each([
    ['empty', ''],
    ['whitespace only', ' \n'],
    ['truncated', '{"model":"m","messages":[{"role":"user"'],
    ['an unterminated string', '{"model":"m'],
    ['a trailing comma in the object', '{"model":"m",}'],
    ['a trailing comma in an array', '{"messages":[1,2,]}'],
    ['a missing colon', '{"model" "m"}'],
    ['a missing comma', '{"model":"m" "max_tokens":1}'],
    ['single quotes', "{'model':'m'}"],
    ['an unquoted key', '{model:"m"}'],
    ['trailing garbage', '{"model":"m"} x'],
    ['two objects', '{"a":1}{"b":2}'],
    ['a byte-order mark', '\ufeff{"model":"m"}'],
    ['a leading zero', '{"max_tokens":0123}'],
    ['a bare minus', '{"max_tokens":-}'],
    ['a dot without digits', '{"t":1.}'],
    ['an exponent without digits', '{"t":1e+}'],
    ['NaN', '{"t":NaN}'],
    ['a misspelled literal', '{"stream":fals}'],
    ['a bad escape', '{"model":"\\x41"}'],
    ['a short unicode escape', '{"model":"\\u41"}'],
    ['a raw control character in a string', '{"model":"a\tb"}'],
    ['an unclosed nested object', '{"metadata":{"user_id":"u"}'],
    ['mismatched brackets', '{"messages":[{"role":"user"]}'],
  ])('declines a body that is not JSON: %s', (_name, body) => {
    expect(() => JSON.parse(body)).toThrow()
    expect(edit(body)).toBeNull()
  })

  it.each([
    ['an array', '[{"stream":false}]'],
    ['a string', '"stream"'],
    ['null', 'null'],
    ['a number', '12345678901234567890'],
  ])('declines JSON whose top-level value is %s', (_name, body) => {
    expect(edit(body)).toBeNull()
  })
})

describe('topLevelMembers', () => {
  it('reports each top-level key with its value span', () => {
    const body = Buffer.from('{ "model" : "m" , "max_tokens":16,"messages":[{"a":{}}],"x":null }')
    const object = topLevelMembers(body)

    expect(object?.members.map((m) => [m.key, body.toString('utf8', m.valueStart, m.valueEnd)])).toEqual([
      ['model', '"m"'],
      ['max_tokens', '16'],
      ['messages', '[{"a":{}}]'],
      ['x', 'null'],
    ])
  })

  it('walks nesting far deeper than a recursive parser could', () => {
    const depth = 200_000
    const body = Buffer.from(`{"deep":${'['.repeat(depth)}${']'.repeat(depth)},"stream":false}`)

    expect(topLevelMembers(body)?.members.map((m) => m.key)).toEqual(['deep', 'stream'])
  })

  it('reads each body on its own after one that broke off deep inside its nesting', () => {
    const broken = Buffer.from(`{"deep":${'[{"a":'.repeat(50)}1,"stream":false}`)
    const body = Buffer.from('{"messages":[{"content":[{"type":"text"}]}],"system":{}}')

    expect(topLevelMembers(broken)).toBeNull()
    expect(topLevelMembers(body)?.members.map((m) => [m.key, m.elements?.length ?? null])).toEqual([
      ['messages', 1],
      ['system', null],
    ])
  })

  it('agrees with JSON.parse on whether random documents and their mutations are JSON objects', () => {
    const random = seededRandom(0x5eed)
    let objects = 0
    let declined = 0
    for (let i = 0; i < 3000; i++) {
      const valid = randomDocument(random)
      for (const text of [valid, mutate(valid, random), mutate(mutate(valid, random), random)]) {
        const body = Buffer.from(text)
        let parsed: unknown
        let parses = true
        try {
          parsed = JSON.parse(body.toString('utf8'))
        } catch {
          parses = false
        }
        const isObject = parses && typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
        const object = topLevelMembers(body)
        if ((object !== null) !== isObject) throw new Error(`disagreement on ${JSON.stringify(text)}: JSON.parse says ${isObject}`)
        if (object === null) declined++
        else {
          objects++
          expect(new Set(object.members.map((m) => m.key))).toEqual(new Set(Object.keys(parsed as object)))
        }
      }
    }
    // Both answers are well exercised: the mutations break about half of the documents.
    expect(objects).toBeGreaterThan(2000)
    expect(declined).toBeGreaterThan(2000)
  })

  it('edits random documents into ones that parse to the same value with stream true', () => {
    const random = seededRandom(42)
    for (let i = 0; i < 1000; i++) {
      const text = randomDocument(random, true)
      const edited = withStreamRequested(Buffer.from(text))
      const original = JSON.parse(text) as Record<string, unknown>
      const streamMembers = topLevelMembers(Buffer.from(text))!.members.filter((m) => m.key === 'stream').length
      if (streamMembers > 1 || ('stream' in original && original.stream !== false)) expect(edited).toBeNull()
      else expect(JSON.parse(edited!.toString())).toEqual({ ...original, stream: true })
    }
  })
})
