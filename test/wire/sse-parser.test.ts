import { describe, expect, it } from 'vitest'
import { SseParser, type SseEvent } from '../../server/wire/sse-parser'
import { frameSse, messageFixture } from '../support/anthropic-fixtures'

/** Feeds the pieces to a fresh parser and returns what it dispatched. */
function parse(pieces: Array<Buffer | string>): { events: SseEvent[]; parser: SseParser } {
  const events: SseEvent[] = []
  const parser = new SseParser((e) => events.push(e))
  for (const piece of pieces) parser.push(typeof piece === 'string' ? Buffer.from(piece) : piece)
  return { events, parser }
}

const fixtureEvents = messageFixture('tool-use').events
const wire = Buffer.from(frameSse(fixtureEvents))
const expected: SseEvent[] = fixtureEvents.map((e) => ({ event: e.event, data: e.data, id: null, bytes: Buffer.byteLength(frameSse([e])) }))

describe('SseParser', () => {
  it('dispatches every event of a whole stream with its wire size', () => {
    expect(parse([wire]).events).toEqual(expected)
  })

  it('dispatches the same events when the stream is split in two at every byte offset', () => {
    for (let offset = 0; offset <= wire.length; offset++) {
      const { events } = parse([wire.subarray(0, offset), wire.subarray(offset)])
      expect(events, `split at byte ${offset}`).toEqual(expected)
    }
  })

  it('decodes multi-byte UTF-8 characters split across reads when fed one byte at a time', () => {
    const pieces = Array.from(wire, (byte) => Buffer.from([byte]))
    const { events } = parse(pieces)

    expect(events).toEqual(expected)
    expect(events.some((e) => e.data.includes('café ☕'))).toBe(true)
  })

  it('accepts CRLF and lone CR line endings, including a CRLF split between reads', () => {
    const crlf = 'event: a\r\ndata: 1\r\n\r'
    const { events } = parse([crlf, '\nevent: b\rdata: 2\r\r', 'data: 3\n\n'])

    expect(events).toEqual([
      { event: 'a', data: '1', id: null, bytes: 10 + 9 + 1 },
      { event: 'b', data: '2', id: null, bytes: 1 + 9 + 8 + 1 },
      { event: null, data: '3', id: null, bytes: 9 },
    ])
  })

  it('dispatches the same events from a CRLF stream split in two at every byte offset, sizes adding up to the bytes read', () => {
    const crlfWire = Buffer.from(wire.toString().replaceAll('\n', '\r\n'))
    for (let offset = 0; offset <= crlfWire.length; offset++) {
      const { events } = parse([crlfWire.subarray(0, offset), crlfWire.subarray(offset)])
      expect(events.map((e) => [e.event, e.data]), `split at byte ${offset}`).toEqual(expected.map((e) => [e.event, e.data]))
      // Split between the last \r and \n, the \n arrives after the dispatch and waits for a next event.
      expect(events.reduce((sum, e) => sum + e.bytes, 0)).toBe(offset === crlfWire.length - 1 ? crlfWire.length - 1 : crlfWire.length)
    }
  })

  it('joins multi-line data with newlines and counts comment lines in the event size', () => {
    const text = ': keep-alive\ndata: first\ndata\ndata:  third\nid: 42\nretry: 1500\nunknown: x\n\n'
    const { events, parser } = parse([text])

    expect(events).toEqual([{ event: null, data: 'first\n\n third', id: '42', bytes: Buffer.byteLength(text) }])
    expect(parser.retryMs).toBe(1500)
  })

  it('carries the bytes of a block that dispatches nothing into the next event', () => {
    const { events } = parse([': ping\n\nevent: x\n\ndata: y\n\n'])

    expect(events).toEqual([{ event: null, data: 'y', id: null, bytes: 8 + 10 + 9 }])
  })

  it('dispatches an empty data field as an empty string and an empty event name as null', () => {
    const { events } = parse(['event:\ndata:\n\n'])

    expect(events).toEqual([{ event: null, data: '', id: null, bytes: 14 }])
  })

  it('ignores an id containing NUL and a retry that is not all digits', () => {
    const { events, parser } = parse(['id: a\u0000b\nretry: 10s\ndata: z\n\n'])

    expect(events[0].id).toBeNull()
    expect(parser.retryMs).toBeNull()
  })

  it('strips a UTF-8 byte order mark split across the first reads and counts it', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('data: ok\n\n')])
    const { events } = parse([bytes.subarray(0, 2), bytes.subarray(2)])

    expect(events).toEqual([{ event: null, data: 'ok', id: null, bytes: 13 }])
  })

  it('reads a line of several megabytes delivered in small pieces', () => {
    const big = 'x'.repeat(4 * 1024 * 1024)
    const text = Buffer.from(`data: ${big}\n\n`)
    const pieces: Buffer[] = []
    for (let i = 0; i < text.length; i += 16 * 1024) pieces.push(text.subarray(i, i + 16 * 1024))
    const { events } = parse(pieces)

    expect(events).toHaveLength(1)
    expect(events[0].data.length).toBe(big.length)
    expect(events[0].bytes).toBe(text.length)
  })

  it('discards an event without its terminating blank line at the end of the stream, then parses a new stream', () => {
    const { events, parser } = parse(['data: whole\n\n', 'event: cut\ndata: partial\n'])
    parser.end()
    parser.push(Buffer.from('data: next\n\n'))

    expect(events.map((e) => e.data)).toEqual(['whole', 'next'])
    expect(events[1]).toEqual({ event: null, data: 'next', id: null, bytes: 12 })
  })

  it('drops a 20 MB line that never ends without buffering past its line bound, then parses the next event', () => {
    const maxLineBytes = 16 * 1024 * 1024
    const events: SseEvent[] = []
    const parser = new SseParser((e) => events.push(e), { maxLineBytes })
    parser.push(Buffer.from('event: ping\ndata: '))
    const piece = Buffer.alloc(1024 * 1024, 'x')
    for (let i = 0; i < 20; i++) {
      parser.push(piece)
      expect(parser.bufferedBytes).toBeLessThanOrEqual(maxLineBytes)
    }
    parser.push(Buffer.from('\n\n' + frameSse([fixtureEvents[0]!])))
    expect(events).toEqual([expected[0]])
    expect(parser.droppedEvents).toBe(1)
  })
})
