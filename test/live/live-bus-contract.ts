import { describe, expect, it, vi } from 'vitest'
import type { LiveBus, LiveEvent } from '../../server/live/live-bus'
import { chunkEvent, inFlight, makeRecord, requestEvent } from '../support/record-fixtures'

/** Reads `count` events (fewer if the iterator ends first). */
export async function take(iterator: AsyncIterator<LiveEvent>, count: number): Promise<LiveEvent[]> {
  const events: LiveEvent[] = []
  while (events.length < count) {
    const result = await iterator.next()
    if (result.done) break
    events.push(result.value)
  }
  return events
}

/** Checks that may lag behind publish on a networked bus are polled; on the memory bus they hold at once. */
const eventually = (assertion: () => void) => vi.waitFor(assertion, { timeout: 5000, interval: 10 })

/**
 * What every LiveBus implementation promises (server/live/live-bus.ts), run against each one with
 * `describeLiveBusContract(name, createBus)`.
 */
export function describeLiveBusContract(name: string, createBus: () => LiveBus | Promise<LiveBus>): void {
  describe(`${name}: delivery`, () => {
    it('delivers every published event to every subscriber in publish order', async () => {
      const bus = await createBus()
      const record = makeRecord()
      const a = bus.subscribe()
      const b = bus.subscribe()
      bus.publish(requestEvent(inFlight(record)))
      bus.publish(chunkEvent(record, 0))
      bus.publish(requestEvent(record))
      for (const subscriber of [a, b]) {
        const events = await take(subscriber, 3)
        expect(events.map((e) => e.kind)).toEqual(['request', 'chunk', 'request'])
      }
      await bus.close()
    })

    it('delivers only the events the subscriber accepts', async () => {
      const bus = await createBus()
      const wanted = makeRecord()
      const other = makeRecord()
      const onlyWanted = bus.subscribe((e) => e.kind === 'chunk' && e.chunk.requestId === wanted.id)
      bus.publish(chunkEvent(other, 0))
      bus.publish(chunkEvent(wanted, 0))
      bus.publish(chunkEvent(other, 1))
      bus.publish(chunkEvent(wanted, 1))
      const events = await take(onlyWanted, 2)
      expect(events.map((e) => (e.kind === 'chunk' ? `${e.chunk.requestId}:${e.chunk.seq}` : ''))).toEqual([`${wanted.id}:0`, `${wanted.id}:1`])
      await bus.close()
    })

    it('passes a subscriber only the kinds of event it names', async () => {
      const bus = await createBus()
      const record = makeRecord()
      const requestsOnly = bus.subscribe(undefined, { kinds: ['request'] })
      bus.publish(requestEvent(inFlight(record)))
      bus.publish(chunkEvent(record, 0))
      bus.publish(requestEvent(record))
      const events = await take(requestsOnly, 2)
      expect(events.map((e) => e.kind === 'request' && e.record.status)).toEqual(['IN_FLIGHT', 'COMPLETED'])
      await bus.close()
    })

    it('resolves a waiting next() when an event is published later', async () => {
      const bus = await createBus()
      const subscriber = bus.subscribe()
      const pending = subscriber.next()
      const record = makeRecord()
      bus.publish(requestEvent(record))
      const result = await pending
      expect(result.done).toBe(false)
      expect(result.value).toMatchObject({ kind: 'request', record: { id: record.id } })
      await bus.close()
    })

    it('keeps publishing to others when one subscriber filter throws', async () => {
      const bus = await createBus()
      bus.subscribe(() => {
        throw new Error('broken filter')
      })
      const healthy = bus.subscribe()
      const record = makeRecord()
      expect(() => bus.publish(requestEvent(record))).not.toThrow()
      expect((await take(healthy, 1)).map((e) => e.kind === 'request' && e.record.id)).toEqual([record.id])
      await bus.close()
    })
  })

  describe(`${name}: ending subscriptions`, () => {
    it('ends a waiting next() and forgets the subscriber when it is returned', async () => {
      const bus = await createBus()
      const subscriber = bus.subscribe()
      expect(bus.subscriberCount).toBe(1)
      const pending = subscriber.next()
      await subscriber.return!()
      await expect(pending).resolves.toEqual({ value: undefined, done: true })
      expect(bus.subscriberCount).toBe(0)
      bus.publish(requestEvent(makeRecord()))
      await expect(subscriber.next()).resolves.toEqual({ value: undefined, done: true })
      await bus.close()
    })

    it('ends every iterator on close and ignores later publishes', async () => {
      const bus = await createBus()
      const a = bus.subscribe()
      const b = bus.subscribe()
      const pending = a.next()
      await bus.close()
      await expect(pending).resolves.toEqual({ value: undefined, done: true })
      await expect(b.next()).resolves.toEqual({ value: undefined, done: true })
      expect(bus.subscriberCount).toBe(0)
      expect(() => bus.publish(requestEvent(makeRecord()))).not.toThrow()
      const late = bus.subscribe()
      await expect(late.next()).resolves.toEqual({ value: undefined, done: true })
    })
  })

  describe(`${name}: replay of chunks so far`, () => {
    it('knows nothing of a request it never saw', async () => {
      const bus = await createBus()
      expect(bus.chunksSoFar(makeRecord().id)).toBeUndefined()
      expect(bus.hasFinished(makeRecord().id)).toBe(false)
      await bus.close()
    })

    it('holds an empty backlog from the start event and every chunk after it, in order', async () => {
      const bus = await createBus()
      const record = makeRecord()
      bus.publish(requestEvent(inFlight(record)))
      await eventually(() => expect(bus.chunksSoFar(record.id)).toEqual([]))
      for (let seq = 0; seq < 3; seq++) bus.publish(chunkEvent(record, seq))
      await eventually(() => expect(bus.chunksSoFar(record.id)?.map((c) => c.seq)).toEqual([0, 1, 2]))
      expect(bus.hasFinished(record.id)).toBe(false)
      await bus.close()
    })

    it('returns a copy that later chunks do not change', async () => {
      const bus = await createBus()
      const record = makeRecord()
      bus.publish(requestEvent(inFlight(record)))
      bus.publish(chunkEvent(record, 0))
      await eventually(() => expect(bus.chunksSoFar(record.id)).toHaveLength(1))
      const backlog = bus.chunksSoFar(record.id)
      bus.publish(chunkEvent(record, 1))
      await eventually(() => expect(bus.chunksSoFar(record.id)).toHaveLength(2))
      expect(backlog?.map((c) => c.seq)).toEqual([0])
      await bus.close()
    })

    it('still replays a request just after it finished, and ignores chunks arriving after the end', async () => {
      const bus = await createBus()
      const record = makeRecord()
      bus.publish(requestEvent(inFlight(record)))
      bus.publish(chunkEvent(record, 0))
      bus.publish(requestEvent(record))
      bus.publish(chunkEvent(record, 1))
      await eventually(() => expect(bus.hasFinished(record.id)).toBe(true))
      expect(bus.chunksSoFar(record.id)?.map((c) => c.seq)).toEqual([0])
      await bus.close()
    })
  })
}
