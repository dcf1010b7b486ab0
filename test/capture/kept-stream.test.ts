import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { KeptBytes } from '../../server/capture/recording/kept-bytes'
import { KeptStream } from '../../server/capture/recording/kept-stream'
import type { StreamChunkRecord } from '../../server/records/request-record'
import { SseParser } from '../../server/wire/sse-parser'
import { frameSse, messageFixture } from '../support/anthropic-fixtures'

/**
 * Feeds `reads` the way a recording does (kept first, then parsed, noting the events of kept reads)
 * and returns what the parse published.
 */
function recordLive(reads: Buffer[], limit = 1 << 20) {
  const requestId = randomUUID()
  const kept = new KeptBytes(limit)
  const stream = new KeptStream(requestId, kept)
  const published: StreamChunkRecord[] = []
  let offsetMs = 0
  const live = new SseParser((event) => {
    if (!kept.isCut) stream.noteEvent(offsetMs, event.data.length)
    published.push({ requestId, seq: published.length, event: event.event, data: event.data, offsetMs, bytes: event.bytes })
  })
  for (const read of reads) {
    offsetMs += 5
    kept.add(read)
    live.push(read)
  }
  return { stream, published, kept, live }
}

describe('KeptStream', () => {
  it('gives back exactly the records the live parse published, with their offsets, however the reads were split', () => {
    const wire = Buffer.from(frameSse(messageFixture('tool-use').events))
    for (const size of [1, 7, 64, wire.length]) {
      const reads = Array.from({ length: Math.ceil(wire.length / size) }, (_, i) => wire.subarray(i * size, (i + 1) * size))
      const { stream, published } = recordLive(reads)

      expect(published.length).toBeGreaterThan(5)
      expect(stream.records(), `reads of ${size} bytes`).toEqual(published)
    }
  })

  it('holds no record of its own: each call parses the kept bytes again, so a later call sees later events', () => {
    const wire = Buffer.from(frameSse(messageFixture('text').events))
    const { stream, kept, live } = recordLive([wire.subarray(0, 200)])
    const early = stream.records()

    kept.add(wire.subarray(200))
    live.push(wire.subarray(200))

    expect(stream.records().length).toBeGreaterThan(early.length)
    expect(stream.records().slice(0, early.length)).toEqual(early)
  })

  it('leaves out an event whose bytes are kept but which the live parse has not dispatched yet', () => {
    const requestId = randomUUID()
    const kept = new KeptBytes(1024)
    const stream = new KeptStream(requestId, kept)
    kept.add(Buffer.from('event: ping\ndata: {"type":"ping"}\n\nevent: ping\ndata: {"type":"ping"}\n\n'))
    stream.noteEvent(3, '{"type":"ping"}'.length)

    expect(stream.records()).toEqual([{ requestId, seq: 0, event: 'ping', data: '{"type":"ping"}', offsetMs: 3, bytes: 35 }])
  })

  it('stops at the last event whose bytes are all kept when the body outgrew the limit', () => {
    const events = Array.from({ length: 10 }, (_, i) => Buffer.from(`event: e\ndata: ${i}\n\n`))
    const { stream, published } = recordLive(events, events[0]!.length * 4 + 3)

    expect(published).toHaveLength(10)
    expect(stream.records()).toEqual(published.slice(0, 4))
  })

  it('stores NUL as U+FFFD, as every stored text does', () => {
    const { stream } = recordLive([Buffer.from('data: a\u0000b\n\n')])

    expect(stream.records().map((chunk) => chunk.data)).toEqual(['a\uFFFDb'])
  })
})
