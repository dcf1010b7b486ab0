import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import type { LiveBus, LiveEvent } from '../../server/live/live-bus'
import { liveStatus } from '../../server/health/live-status'
import { createRedisBus } from '../../server/live/redis-bus'
import { createLogger } from '../../server/logger'
import { RequestBody, withRequestBody } from '../../server/records/request-body'
import { chunkEvent, inFlight, makeRecord, publishKeptChunks, requestEvent } from '../support/record-fixtures'
import { hasRedisServer, startRedisServer, type RedisServer } from '../support/redis-server'
import { waitFor } from '../support/wait'
import { describeLiveBusContract, take } from './live-bus-contract'

const REDIS_URL = process.env.REDIS_URL
if (!REDIS_URL) console.warn('\n*** Redis live bus tests SKIPPED: set REDIS_URL (e.g. redis://127.0.0.1:6379) to run them. ***\n')
const logger = createLogger('silent')

const open: LiveBus[] = []
/** A Redis bus on `channel` (its own by default, so parallel test files never meet), connected. */
async function redisBus(options: { url?: string; channel?: string; maxSharedBodyBytes?: number } = {}) {
  const bus = createRedisBus({ url: options.url ?? REDIS_URL!, channel: options.channel ?? `test:${randomUUID()}`, maxSharedBodyBytes: options.maxSharedBodyBytes, logger })
  open.push(bus)
  await bus.ready
  return bus
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((bus) => bus.close()))
})

const label = (event: LiveEvent) => (event.kind === 'chunk' ? `chunk ${event.chunk.seq}` : event.kind === 'request' ? event.record.status : event.kind)

describe.skipIf(!REDIS_URL)('redis bus', () => {
  describeLiveBusContract('redis bus', () => redisBus())

  describe('between instances', () => {
    it("says chunks may be watched with no subscriber here, as another instance's may be showing them", async () => {
      const bus = await redisBus()
      expect(bus.hasChunkSubscribers).toBe(true)
    })

    it("delivers another instance's events in publish order, with their dates as dates", async () => {
      const channel = `test:${randomUUID()}`
      const [a, b] = [await redisBus({ channel }), await redisBus({ channel })]
      const onB = b.subscribe()
      const record = makeRecord()
      a.publish(requestEvent(inFlight(record)))
      for (let seq = 0; seq < 100; seq++) a.publish(chunkEvent(record, seq))
      a.publish(requestEvent(record))

      const events = await take(onB, 102)
      expect(events.map(label)).toEqual(['IN_FLIGHT', ...Array.from({ length: 100 }, (_, seq) => `chunk ${seq}`), 'COMPLETED'])
      const completed = events.at(-1)!
      expect(completed.kind === 'request' && completed.record.startedAt).toEqual(record.startedAt)
      expect(completed.kind === 'request' && completed.record.requestBody).toBe(record.requestBody)
    })

    it('lets a subscriber on another instance join mid-stream with the chunks so far', async () => {
      const channel = `test:${randomUUID()}`
      const [a, b] = [await redisBus({ channel }), await redisBus({ channel })]
      const record = makeRecord()
      a.publish(requestEvent(inFlight(record)))
      for (let seq = 0; seq < 3; seq++) a.publish(chunkEvent(record, seq))
      await waitFor(() => b.chunksSoFar(record.id)?.length === 3, 'three chunks held on the other instance')
      expect(b.chunksSoFar(record.id)?.map((c) => c.seq)).toEqual([0, 1, 2])
    })

    it("sends the chunks of a stream recorded here, never the backlog that keeps them on this instance", async () => {
      const channel = `test:${randomUUID()}`
      const [a, b] = [await redisBus({ channel }), await redisBus({ channel })]
      const record = makeRecord()
      const onB = b.subscribe()
      a.publish(requestEvent(inFlight(record)))
      const sent = publishKeptChunks(a, record, 3)

      const events = await take(onB, 4)
      expect(events.slice(1).map((event) => event.kind === 'chunk' && 'backlog' in event)).toEqual([false, false, false])
      expect(b.chunksSoFar(record.id)).toEqual(sent)
      expect(a.chunksSoFar(record.id)).toEqual(sent)
    })

    it("does not echo an instance's own events back to it", async () => {
      const channel = `test:${randomUUID()}`
      const [a, b] = [await redisBus({ channel }), await redisBus({ channel })]
      const onA = a.subscribe()
      const onB = b.subscribe()
      const first = makeRecord()
      const last = makeRecord()
      a.publish(requestEvent(first))
      b.publish(requestEvent(last))
      // B's event reaches A through Redis, after A's own, which Redis would echo first if it were not skipped.
      expect((await take(onA, 2)).map((e) => e.kind === 'request' && e.record.id)).toEqual([first.id, last.id])
      expect((await take(onB, 2)).map((e) => e.kind === 'request' && e.record.id)).toEqual([last.id, first.id])
    })

    it("keeps other instances' events from subscribers that ask for this instance's only", async () => {
      const channel = `test:${randomUUID()}`
      const [a, b] = [await redisBus({ channel }), await redisBus({ channel })]
      const localOnly = b.subscribe(undefined, { localOnly: true })
      const everything = b.subscribe()
      const fromA = makeRecord()
      const fromB = makeRecord()
      a.publish(requestEvent(fromA))
      await take(everything, 1)
      b.publish(requestEvent(fromB))
      expect((await take(localOnly, 1)).map((e) => e.kind === 'request' && e.record.id)).toEqual([fromB.id])
    })

    it('shares a request without its bodies past the size bound, and with them below it', async () => {
      const channel = `test:${randomUUID()}`
      const [a, b] = [await redisBus({ channel, maxSharedBodyBytes: 4096 }), await redisBus({ channel })]
      const onB = b.subscribe()
      const small = makeRecord()
      const large = makeRecord({ requestBody: JSON.stringify({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'x'.repeat(5000) }] }) })
      a.publish(requestEvent(small))
      a.publish(requestEvent(large))
      const [gotSmall, gotLarge] = await take(onB, 2)
      expect(gotSmall?.kind === 'request' && gotSmall.record.requestBody).toBe(small.requestBody)
      expect(gotLarge?.kind === 'request' && gotLarge.record).toMatchObject({ id: large.id, model: large.model, status: 'COMPLETED' })
      expect(gotLarge?.kind === 'request' && 'requestBody' in gotLarge.record).toBe(false)
    })

    it('leaves a request body past the size bound undecoded: its size is read from the record', async () => {
      const channel = `test:${randomUUID()}`
      const [a, b] = [await redisBus({ channel, maxSharedBodyBytes: 4096 }), await redisBus({ channel })]
      const onB = b.subscribe()
      let decoded = 0
      const bytes = Buffer.from(JSON.stringify({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'x'.repeat(5000) }] }))
      const body = new (class extends RequestBody {
        override get text(): string {
          decoded++
          return super.text
        }
      })(bytes)
      const large = withRequestBody(makeRecord({ requestBodyBytes: bytes.length }), body)
      a.publish(requestEvent(large))
      const [got] = await take(onB, 1)
      expect(got?.kind === 'request' && got.record).toMatchObject({ id: large.id, requestBodyBytes: bytes.length })
      expect(decoded).toBe(0)
    })
  })
})

describe.skipIf(!hasRedisServer())('redis bus: outages', () => {
  let redis: RedisServer | undefined
  afterEach(async () => {
    await redis?.stop()
  })

  it('keeps delivering here while Redis is down, counts what others missed, and shares again once it is back', async () => {
    redis = await startRedisServer()
    const channel = `test:${randomUUID()}`
    const [a, b] = [await redisBus({ url: redis.url, channel }), await redisBus({ url: redis.url, channel })]
    const requestsOnly = (event: LiveEvent) => event.kind === 'request'
    const onA = a.subscribe(requestsOnly)
    const onB = b.subscribe(requestsOnly)
    await waitFor(() => a.link.connected && b.link.connected, 'both instances connected')

    await redis.stop()
    await waitFor(() => !a.link.connected && !b.link.connected, 'both instances to notice Redis is gone')
    const duringOutage = makeRecord()
    expect(() => a.publish(requestEvent(duringOutage))).not.toThrow()
    expect((await take(onA, 1)).map((e) => e.kind === 'request' && e.record.id)).toEqual([duringOutage.id])
    // Counted at once when the publishing connection is known to be down, or when its publish fails
    // a moment later if only the subscribing one had noticed yet.
    await waitFor(() => a.link.unsharedEvents === 1, 'the event the other instance missed to be counted')
    expect(b.link).toMatchObject({ transport: 'redis', connected: false, interruptions: 1 })

    await redis.start()
    await waitFor(() => a.link.connected && b.link.connected, 'both instances back on Redis')
    const after = makeRecord()
    a.publish(requestEvent(after))
    expect((await take(onB, 1)).map((e) => e.kind === 'request' && e.record.id)).toEqual([after.id])
    expect(a.link.unsharedEvents).toBe(1)
  })

  it('tells a liveStatus subscriber the link now, then that it broke (one interruption) and came back', async () => {
    redis = await startRedisServer()
    const bus = await redisBus({ url: redis.url })
    await waitFor(() => bus.link.connected, 'the instance connected')
    const status = liveStatus(bus)
    const next = async () => {
      const { value } = await status.next()
      return { connected: value!.connected, interruptions: value!.interruptions }
    }
    expect(await next()).toEqual({ connected: true, interruptions: 0 })

    await redis.stop()
    expect(await next()).toEqual({ connected: false, interruptions: 1 })
    await redis.start()
    expect(await next()).toEqual({ connected: true, interruptions: 1 })
    await status.return!()
    expect(bus.subscriberCount).toBe(0)
  })
})
