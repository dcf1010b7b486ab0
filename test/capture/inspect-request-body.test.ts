import { describe, expect, it } from 'vitest'
import { inspectRequestBody as inspectBytes } from '../../server/capture/recording/inspect-request-body'

const inspectRequestBody = (text: string) => inspectBytes(Buffer.from(text))

const isJson = (text: string) => {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

describe('inspectRequestBody', () => {
  it('reads the top-level model and stream flag of a Messages request', () => {
    const body = JSON.stringify({ model: 'claude-opus-4-5', max_tokens: 1024, messages: [{ role: 'user', content: 'hi' }], stream: true })
    expect(inspectRequestBody(body)).toEqual({ isJson: true, model: 'claude-opus-4-5', stream: true })
  })

  it('ignores model and stream keys nested in tools, messages and strings', () => {
    const body = JSON.stringify({
      tools: [{ name: 'Task', input_schema: { properties: { model: { type: 'string' }, stream: true } } }],
      messages: [{ role: 'user', content: '"model": "fake", "stream": true' }, { role: 'assistant', content: [{ type: 'tool_use', input: { model: 'haiku' } }] }],
      model: 'claude-sonnet-4-5',
    })
    expect(inspectRequestBody(body)).toEqual({ isJson: true, model: 'claude-sonnet-4-5', stream: false })
  })

  it('decodes escapes in the model name and reads stream false as false', () => {
    expect(inspectRequestBody('{ "stream" : false , "model" : "claude\\u002dx" }')).toEqual({ isJson: true, model: 'claude-x', stream: false })
  })

  it('keeps integers above 2^53 out of its way', () => {
    const body = '{"model":"m","messages":[{"role":"user","content":[{"type":"tool_result","content":12345678901234567890}]}]}'
    expect(inspectRequestBody(body)).toEqual({ isJson: true, model: 'm', stream: false })
  })

  it('agrees with JSON.parse on what is and is not JSON', () => {
    const samples = [
      '', ' ', '{}', '[]', '{"a":1}', '{"a":1,}', '[1,2]', '[1,,2]', '[1 2]', '{"a" 1}', '{"a":1 "b":2}', '{a:1}',
      '"str"', '12', '-0.5e+3', '01', '1.', '.5', 'true', 'tru', 'nul', '{"a":[{"b":{}}]}', '{"a":[{"b":{}}]', '{"a":[}',
      '{"a":"\\x"}', '{"a":"\\u12"}', '{"a":"tab\there"}', '{"a":"\\ud83d\\ude00"}', '{} {}', '{}x', '  {"model":"m"}\n',
      '{"a":"unterminated}', '[[[[]]]]', '[[[[]]]', '{"":""}', '{"a":-}', '{"a":1e}', '[true,false,null]', '{"a":NaN}',
    ]
    for (const sample of samples) expect([sample, inspectRequestBody(sample).isJson]).toEqual([sample, isJson(sample)])
  })

  it('judges bytes that are not valid UTF-8 as JSON.parse judges their decoded text', () => {
    const invalidUtf8 = Buffer.concat([Buffer.from('{"model":"m","x":"'), Buffer.from([0xff, 0xc3]), Buffer.from('"}')])
    expect(inspectBytes(invalidUtf8)).toEqual({ isJson: isJson(invalidUtf8.toString('utf8')), model: 'm', stream: false })
  })

  it('finds a quote, backslash or control byte at every position of a long string, however the body is aligned in memory', () => {
    const special = ['"', '\\n', '\\u00e9', '\\x', '\n', '\u0001', '\\', '\u001f']
    const pool = Buffer.alloc(4096)
    for (const inserted of special) {
      for (let at = 0; at < 40; at++) {
        const text = `{"model":"m","content":"${'lorem ipsum '.repeat(4).slice(0, at)}${inserted}${'dolor sit amet '.repeat(4)}"}`
        for (let shift = 0; shift < 4; shift++) {
          // A body at byte offset `shift` of a larger buffer, as pooled Buffers are.
          const body = pool.subarray(shift, shift + Buffer.byteLength(text))
          body.write(text)
          expect([text, shift, inspectBytes(body).isJson]).toEqual([text, shift, isJson(text)])
        }
      }
    }
  })

  it('reports nothing about a body that is not JSON', () => {
    expect(inspectRequestBody('model=claude&stream=true')).toEqual({ isJson: false, model: null, stream: false })
  })
})
