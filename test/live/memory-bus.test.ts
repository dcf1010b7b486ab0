import { describe, expect, it, vi } from 'vitest'
import type { LiveEvent } from '../../server/live/live-bus'
import { createMemoryBus } from '../../server/live/memory-bus'
import { describeLiveBusContract, take } from './live-bus-contract'
import { chunkEvent, inFlight, makeRecord, publishKeptChunks, requestEvent } from '../support/record-fixtures'

const seqOf = (event: LiveEvent) => (event.kind === 'chunk' ? event.chunk.seq : -1)

describeLiveBusContract('memory bus', () => createMemoryBus())

describe('memory bus: demand for stream chunks', () => {
  it('says a subscriber that takes chunks is open while one is: one that names no kinds, or names chunk', async () => {
    const bus = createMemoryBus()
    const others = bus.subscribe(undefined, { kinds: ['request', 'rateLimit', 'settings', 'conversation', 'link'] })
    expect(bus.hasChunkSubscribers).toBe(false)
    const chunks = bus.subscribe(undefined, { kinds: ['chunk'] })
    const everything = bus.subscribe()
    expect(bus.hasChunkSubscribers).toBe(true)
    await chunks.return!()
    expect(bus.hasChunkSubscribers).toBe(true)
    await everything.return!()
    expect(bus.hasChunkSubscribers).toBe(false)
    await others.return!()
    await bus.close()
  })

  it('asks for pending chunks before it adds a subscriber that takes them, which finds them in chunksSoFar instead of twice', async () => {
    const bus = createMemoryBus()
    const record = makeRecord()
    bus.publish(requestEvent(inFlight(record)))
    const asked: (string | null)[] = []
    let pending = 3
    bus.onChunksWanted((requestId) => {
      asked.push(requestId)
      for (; pending > 0; pending--) bus.publish(chunkEvent(record, 3 - pending))
    })

    bus.subscribe(undefined, { kinds: ['request'] })
    expect(asked).toEqual([])
    const watcher = bus.subscribe(undefined, { kinds: ['chunk', 'request'] })
    expect(asked).toEqual([null])
    expect(bus.chunksSoFar(record.id)?.map((c) => c.seq)).toEqual([0, 1, 2])
    expect(asked).toEqual([null, record.id])

    bus.publish(chunkEvent(record, 3))
    expect((await take(watcher, 1)).map(seqOf)).toEqual([3])
    await bus.close()
  })
})

describe('memory bus: slow subscribers', () => {
  it('drops the oldest events of a slow subscriber past its buffer and counts them', async () => {
    const bus = createMemoryBus({ subscriberBufferSize: 3 })
    const record = makeRecord()
    const slow = bus.subscribe()
    for (let seq = 0; seq < 5; seq++) bus.publish(chunkEvent(record, seq))
    expect(bus.droppedEvents).toBe(2)
    const events = await take(slow, 3)
    expect(events.map(seqOf)).toEqual([2, 3, 4])
    await bus.close()
  })

  it('stays bounded and in order when a large backlog is read after many drops', async () => {
    const bus = createMemoryBus({ subscriberBufferSize: 2000 })
    const record = makeRecord()
    const slow = bus.subscribe()
    for (let seq = 0; seq < 5000; seq++) bus.publish(chunkEvent(record, seq))
    expect(bus.droppedEvents).toBe(3000)
    const events = await take(slow, 2000)
    expect(events.map(seqOf)).toEqual(Array.from({ length: 2000 }, (_, i) => 3000 + i))
    await bus.close()
  })
})

describe('memory bus: replay bounds and retention', () => {
  it('tracks a request from its first chunk when its start event was not seen', async () => {
    const bus = createMemoryBus()
    const fromStart = makeRecord()
    const midStream = makeRecord()
    bus.publish(chunkEvent(fromStart, 0))
    bus.publish(chunkEvent(midStream, 4))
    expect(bus.chunksSoFar(fromStart.id)?.map((c) => c.seq)).toEqual([0])
    expect(bus.chunksSoFar(midStream.id)).toBeUndefined()
    await bus.close()
  })

  it('keeps a finished request replayable for the retention time, then releases it', async () => {
    const bus = createMemoryBus({ replayRetentionMs: 100 })
    const record = makeRecord()
    bus.publish(requestEvent(inFlight(record)))
    bus.publish(chunkEvent(record, 0))
    bus.publish(requestEvent(record))
    expect(bus.hasFinished(record.id)).toBe(true)
    expect(bus.chunksSoFar(record.id)?.map((c) => c.seq)).toEqual([0])
    await vi.waitFor(() => expect(bus.chunksSoFar(record.id)).toBeUndefined(), { timeout: 2000, interval: 20 })
    expect(bus.hasFinished(record.id)).toBe(false)
    await bus.close()
  })

  it('releases finished requests before in-flight ones when the byte bound is reached', async () => {
    const chunkBytes = chunkEvent(makeRecord(), 0)
    const bytes = chunkBytes.kind === 'chunk' ? chunkBytes.chunk.bytes : 0
    const bus = createMemoryBus({ replayMaxBytes: bytes * 3 })
    const done = makeRecord()
    const running = makeRecord()
    bus.publish(requestEvent(inFlight(done)))
    bus.publish(chunkEvent(done, 0))
    bus.publish(requestEvent(done))
    bus.publish(requestEvent(inFlight(running)))
    bus.publish(chunkEvent(running, 0))
    bus.publish(chunkEvent(running, 1))
    bus.publish(chunkEvent(running, 2))
    expect(bus.chunksSoFar(done.id)).toBeUndefined()
    expect(bus.chunksSoFar(running.id)?.map((c) => c.seq)).toEqual([0, 1, 2])
    expect(bus.replayEvictions).toBe(0)
    await bus.close()
  })

  it('evicts the oldest in-flight request when the byte bound is still exceeded, and counts it', async () => {
    const sample = chunkEvent(makeRecord(), 0)
    const bytes = sample.kind === 'chunk' ? sample.chunk.bytes : 0
    const bus = createMemoryBus({ replayMaxBytes: bytes * 2 })
    const older = makeRecord()
    const newer = makeRecord()
    bus.publish(requestEvent(inFlight(older)))
    bus.publish(requestEvent(inFlight(newer)))
    bus.publish(chunkEvent(older, 0))
    bus.publish(chunkEvent(newer, 0))
    bus.publish(chunkEvent(newer, 1))
    expect(bus.chunksSoFar(older.id)).toBeUndefined()
    expect(bus.replayEvictions).toBe(1)
    // The evicted request is not picked up again mid-stream, which would replay with a gap.
    bus.publish(chunkEvent(older, 1))
    expect(bus.chunksSoFar(older.id)).toBeUndefined()
    expect(bus.chunksSoFar(newer.id)?.map((c) => c.seq)).toEqual([0, 1])
    await bus.close()
  })

  it("reads a stream's chunks so far from the backlog its recorder keeps, holding none itself, until the retention ends", async () => {
    const bus = createMemoryBus({ replayRetentionMs: 100 })
    const record = makeRecord()
    bus.publish(requestEvent(inFlight(record)))
    const kept = publishKeptChunks(bus, record, 3)
    // What the bus returns is the backlog's answer at the time of asking, not a copy made as chunks passed.
    kept.pop()
    expect(bus.chunksSoFar(record.id)?.map((c) => c.seq)).toEqual([0, 1])

    bus.publish(requestEvent(record))
    expect(bus.chunksSoFar(record.id)?.map((c) => c.seq)).toEqual([0, 1])
    await vi.waitFor(() => expect(bus.chunksSoFar(record.id)).toBeUndefined(), { timeout: 2000, interval: 20 })
    await bus.close()
  })

  it('tracks at most the configured number of requests', async () => {
    const bus = createMemoryBus({ replayMaxRequests: 2 })
    const records = [makeRecord(), makeRecord(), makeRecord()]
    for (const record of records) bus.publish(requestEvent(inFlight(record)))
    expect(records.map((r) => bus.chunksSoFar(r.id) !== undefined)).toEqual([false, true, true])
    expect(bus.replayEvictions).toBe(1)
    await bus.close()
  })
})
