import { readFile } from 'node:fs/promises'
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, truncateSync, statSync, writeFileSync } from 'node:fs'
import { serialize } from 'node:v8'
import { crc32 } from 'node:zlib'
import os from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { chunkList, type CaptureOp } from '../../server/capture/capture-op'
import { RequestBody, requestBodyBytesOf, withRequestBody } from '../../server/records/request-body'
import { Spool } from '../../server/capture/spool/spool'
import { currentProcessIdentity } from '../../server/files/process-identity'
import { waitFor } from '../support/wait'
import { inFlightRecord, startOp } from './records'

const logger = pino({ level: 'silent' })
const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})
function spoolDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'claudescope-spool-'))
  dirs.push(dir)
  return dir
}

const BIG = '{"input":{"account_id":12345678901234567890},"note":"café ☕"}'

function completeOp(n: number): CaptureOp {
  const { requestBody: _unused, ...fields } = inFlightRecord({ status: 'COMPLETED', httpStatus: 200, startedAt: new Date(1_700_000_000_000 + n) })
  const record = withRequestBody(fields, new RequestBody(Buffer.from(BIG)))
  return { kind: 'complete', record, chunks: chunkList([{ requestId: record.id, seq: 0, event: 'message_start', data: '{"n":12345678901234567890}', offsetMs: 1.5, bytes: 40 }]) }
}

async function drain(spool: Spool): Promise<CaptureOp[]> {
  const ops: CaptureOp[] = []
  for (let batch = await spool.nextBatch(3); batch; batch = await spool.nextBatch(3)) {
    ops.push(...batch.ops)
    batch.ack()
  }
  return ops
}

describe('the capture spool', () => {
  it('gives back, oldest first and byte for byte, what it was given, raw body bytes and big integers included', async () => {
    const spool = new Spool({ dir: spoolDir(), maxBytes: 1 << 30, logger })
    const written = Array.from({ length: 7 }, (_, i) => completeOp(i))
    for (const op of written) expect(spool.append(op, 'queue_full')).toBe(true)
    const read = await drain(spool)
    expect(read.map((op) => op.record.id)).toEqual(written.map((op) => op.record.id))
    expect(read[0]!.record.requestBody).toBe(BIG)
    expect(read[0]!.record.startedAt).toEqual(written[0]!.record.startedAt)
    expect(read[0]!.kind === 'complete' && read[0]!.chunks.records()[0]!.data).toBe('{"n":12345678901234567890}')
    spool.close()
  })

  it('deletes a segment once every op in it is acknowledged, and not before', async () => {
    const dir = spoolDir()
    const spool = new Spool({ dir, maxBytes: 1 << 30, logger })
    spool.append(completeOp(1), 'queue_full')
    spool.append(completeOp(2), 'queue_full')
    const batch = (await spool.nextBatch(1))!
    batch.ack()
    expect(readdirSync(dir)).toHaveLength(1)
    expect(spool.hasBacklog).toBe(true)
    const rest = (await spool.nextBatch(5))!
    rest.ack()
    expect(readdirSync(dir)).toHaveLength(0)
    expect(spool.bytes).toBe(0)
    expect(spool.hasBacklog).toBe(false)
    spool.close()
  })

  it('replays after a restart what a previous run left, and re-replays an unacknowledged batch', async () => {
    const dir = spoolDir()
    const first = new Spool({ dir, maxBytes: 1 << 30, logger })
    const ops = [completeOp(1), completeOp(2)]
    for (const op of ops) first.append(op, 'queue_full')
    expect((await first.nextBatch(5))!.ops).toHaveLength(2) // taken but never acknowledged: the database write failed
    first.close()
    const second = new Spool({ dir, maxBytes: 1 << 30, logger })
    expect((await drain(second)).map((op) => op.record.id)).toEqual(ops.map((op) => op.record.id))
    second.close()
  })

  it('ignores a torn last write after a crash and keeps the intact records before it', async () => {
    const dir = spoolDir()
    const first = new Spool({ dir, maxBytes: 1 << 30, logger })
    const kept = completeOp(1)
    first.append(kept, 'queue_full')
    first.append(completeOp(2), 'queue_full')
    first.close()
    const [segment] = readdirSync(dir)
    const file = path.join(dir, segment!)
    truncateSync(file, statSync(file).size - 10)
    appendFileSync(file, Buffer.from([1, 2, 3]))
    const second = new Spool({ dir, maxBytes: 1 << 30, logger })
    expect((await drain(second)).map((op) => op.record.id)).toEqual([kept.record.id])
    second.close()
  })

  it('refuses an append past its byte bound and counts it', () => {
    const spool = new Spool({ dir: spoolDir(), maxBytes: 2000, logger })
    let accepted = 0
    for (let i = 0; i < 10; i++) if (spool.append(completeOp(i), 'queue_full')) accepted++
    expect(accepted).toBeGreaterThan(0)
    expect(accepted).toBeLessThan(10)
    expect(spool.stats.refused).toBe(10 - accepted)
    expect(spool.bytes).toBeLessThanOrEqual(2000)
    spool.close()
  })

  it('starts a new segment past the segment size so replayed segments can be deleted while appends go on', async () => {
    const dir = spoolDir()
    const spool = new Spool({ dir, maxBytes: 1 << 30, segmentMaxBytes: 1500, logger })
    for (let i = 0; i < 6; i++) spool.append(completeOp(i), 'queue_full')
    expect(readdirSync(dir).length).toBeGreaterThan(1)
    expect(await drain(spool)).toHaveLength(6)
    spool.close()
  })
  it('fsyncs appended data on its timer, at least once per interval, and not while idle', async () => {
    let timerRuns = 0
    const spool = new Spool({ dir: spoolDir(), maxBytes: 1 << 30, fsyncIntervalMs: 20, logger, onSyncTimer: () => void timerRuns++ })
    spool.append(completeOp(1), 'queue_full')
    spool.append(completeOp(2), 'queue_full')
    expect(spool.stats.fsyncs).toBe(0) // not per record
    await waitFor(() => spool.stats.fsyncs === 1, 'the fsync timer')
    const runsAfterSync = timerRuns
    await waitFor(() => timerRuns >= runsAfterSync + 3, 'the fsync timer to run three more times while idle')
    expect(spool.stats.fsyncs).toBe(1) // nothing new to sync
    spool.append(completeOp(3), 'queue_full')
    await waitFor(() => spool.stats.fsyncs === 2, 'the fsync timer after a new append')
    spool.close()
  })

  it('fsyncs off the event loop: while a slow fsync is pending, appends go on, timers fire and no second fsync piles up', async () => {
    let release: () => void = () => {}
    let calls = 0
    const slowFsync = () => {
      calls++
      return new Promise<void>((resolve) => (release = resolve))
    }
    const spool = new Spool({ dir: spoolDir(), maxBytes: 1 << 30, fsyncIntervalMs: 5, fsync: slowFsync, logger })
    spool.append(completeOp(1), 'queue_full')
    await waitFor(() => calls === 1, 'the timer to start an fsync')
    expect(spool.append(completeOp(2), 'queue_full')).toBe(true)
    let ticks = 0
    await waitFor(() => ++ticks >= 5, 'timers to keep firing while the fsync is pending')
    expect(calls).toBe(1)
    release()
    await waitFor(() => spool.stats.fsyncs === 1, 'the fsync to be counted')
    await waitFor(() => calls === 2, 'the next fsync, for the append made meanwhile')
    release()
    spool.close()
  })

  it('reads a segment for replay off the event loop: while a slow read is pending, appends go on and timers fire', async () => {
    const dir = spoolDir()
    const first = new Spool({ dir, maxBytes: 1 << 30, logger })
    const spooled = completeOp(1)
    first.append(spooled, 'queue_full')
    first.close()
    let release: () => void = () => {}
    let reads = 0
    const slowRead = async (file: string) => {
      reads++
      await new Promise<void>((resolve) => (release = resolve))
      return readFile(file)
    }
    const spool = new Spool({ dir, maxBytes: 1 << 30, readFile: slowRead, logger })
    const batch = spool.nextBatch(10)
    await waitFor(() => reads === 1, 'the replay to start reading the segment')
    expect(spool.append(completeOp(2), 'queue_full')).toBe(true)
    let ticks = 0
    await waitFor(() => ++ticks >= 5, 'timers to keep firing while the read is pending')
    release()
    expect((await batch)!.ops.map((op) => op.record.id)).toEqual([spooled.record.id])
    spool.close()
  })

  it('counts the records it holds, across a restart and as batches are acknowledged', async () => {
    const dir = spoolDir()
    const first = new Spool({ dir, maxBytes: 1 << 30, segmentMaxBytes: 1500, logger })
    for (let i = 0; i < 5; i++) first.append(completeOp(i), 'queue_full')
    expect(first.stats).toMatchObject({ records: 5, spilled: 5 })
    first.close()
    const second = new Spool({ dir, maxBytes: 1 << 30, logger })
    expect(second.stats.records).toBe(5)
    const two = (await second.nextBatch(2))!
    two.ack()
    expect(second.stats).toMatchObject({ records: 3, replayed: 2 })
    await drain(second)
    expect(second.stats).toMatchObject({ records: 0, replayed: 5, bytes: 0 })
    second.close()
  })

  it('hands out the same batch until it is acknowledged, within a byte bound', async () => {
    const spool = new Spool({ dir: spoolDir(), maxBytes: 1 << 30, logger })
    for (let i = 0; i < 4; i++) spool.append(completeOp(i), 'queue_full')
    const oneFrame = spool.bytes / 4
    const first = (await spool.nextBatch(10, oneFrame * 2.5))!
    expect(first.ops).toHaveLength(2)
    expect(await spool.nextBatch(10)).toBe(first) // a failed write retries the very same ops
    first.ack()
    first.ack() // a second acknowledgement changes nothing
    expect((await spool.nextBatch(10))!.ops).toHaveLength(2)
    spool.close()
  })

  it('skips copies of ops the database took after they were spooled, and keeps a later completion', async () => {
    const spool = new Spool({ dir: spoolDir(), maxBytes: 1 << 30, logger })
    const start = startOp(inFlightRecord())
    const completion = { ...completeOp(1), record: { ...completeOp(1).record, id: start.record.id } }
    const other = completeOp(2)
    spool.append(start, 'queue_full')
    spool.append(other, 'queue_full')
    spool.append(completion, 'queue_full')
    spool.markCommitted([start, other])
    expect((await drain(spool)).map((op) => op.kind + ':' + op.record.id)).toEqual([`complete:${start.record.id}`])
    expect(spool.stats).toMatchObject({ records: 0, bytes: 0 })
    spool.close()
  })

  it('hands a replayed body over in memory of its own, so a record someone keeps never pins its whole segment', async () => {
    const spool = new Spool({ dir: spoolDir(), maxBytes: 1 << 30, logger })
    const body = Buffer.alloc(64 * 1024, 'a')
    for (let i = 0; i < 4; i++) {
      const { requestBody: _text, ...fields } = inFlightRecord()
      spool.append(startOp(withRequestBody(fields, new RequestBody(body))), 'queue_full')
    }
    for (const op of await drain(spool)) {
      const bytes = requestBodyBytesOf(op.record)!
      expect(bytes).toEqual(body)
      expect(bytes.buffer.byteLength).toBeLessThan(2 * body.length)
    }
    spool.close()
  })

  it('replays the segments it wrote itself without their checksums, which only a previous run\'s crash can have torn', async () => {
    const dir = spoolDir()
    const spool = new Spool({ dir, maxBytes: 1 << 30, logger, segmentMaxBytes: 1 })
    const { requestBody: _text, ...fields } = inFlightRecord()
    spool.append(startOp(withRequestBody(fields, new RequestBody(Buffer.from('{"a":1}')))), 'queue_full')
    const file = path.join(dir, readdirSync(dir)[0]!)
    const bytes = await readFile(file)
    bytes[bytes.length - 2] = '2'.charCodeAt(0)
    writeFileSync(file, bytes)
    const [read] = await drain(spool)
    expect(read!.record.requestBody).toBe('{"a":2}')
    spool.close()
  })

  it('replays a segment an earlier version wrote, each op one structured clone with its body inside', async () => {
    const dir = spoolDir()
    const op = completeOp(1)
    const { requestBody: _text, ...fields } = op.record
    const payload = serialize({ kind: op.kind, record: fields, body: Buffer.from(BIG), chunks: op.kind === 'complete' ? op.chunks.records() : [] })
    const header = Buffer.alloc(8)
    header.writeUInt32LE(payload.length, 0)
    header.writeUInt32LE(crc32(payload), 4)
    writeFileSync(path.join(dir, '0000000000000001.spool'), Buffer.concat([header, payload]))
    const spool = new Spool({ dir, maxBytes: 1 << 30, logger })
    const [read] = await drain(spool)
    expect(read!.record.id).toBe(op.record.id)
    expect(requestBodyBytesOf(read!.record)).toEqual(Buffer.from(BIG))
    expect(read!.kind === 'complete' && read!.chunks.records()).toEqual(op.kind === 'complete' && op.chunks.records())
    spool.close()
  })

  it('keeps a body that is not valid UTF-8 as its bytes and a plain text body as its text, and a flipped body byte fails the checksum', async () => {
    const dir = spoolDir()
    const first = new Spool({ dir, maxBytes: 1 << 30, logger })
    const { requestBody: _text, ...fields } = inFlightRecord()
    const broken = withRequestBody(fields, new RequestBody(Buffer.from([0x7b, 0xff, 0x00, 0x7d])))
    const text = inFlightRecord({ requestBody: BIG })
    first.append(startOp(broken), 'queue_full')
    first.append(startOp(text), 'queue_full')
    first.close()
    const second = new Spool({ dir, maxBytes: 1 << 30, logger })
    const read = await drain(second)
    expect(requestBodyBytesOf(read[0]!.record)).toEqual(Buffer.from([0x7b, 0xff, 0x00, 0x7d]))
    expect(requestBodyBytesOf(read[1]!.record)).toBeNull()
    expect(read[1]!.record.requestBody).toBe(BIG)
    second.close()

    const flippedDir = spoolDir()
    const again = new Spool({ dir: flippedDir, maxBytes: 1 << 30, logger })
    again.append(startOp(broken), 'queue_full')
    again.close()
    const file = path.join(flippedDir, readdirSync(flippedDir)[0]!)
    const bytes = await readFile(file)
    bytes[bytes.length - 2] ^= 0xff
    writeFileSync(file, bytes)
    const third = new Spool({ dir: flippedDir, maxBytes: 1 << 30, logger })
    expect(await drain(third)).toEqual([])
    third.close()
  })

  it('skips a frame whose checksum holds but whose payload does not decode, and replays the rest', async () => {
    const dir = spoolDir()
    const first = new Spool({ dir, maxBytes: 1 << 30, logger })
    const before = completeOp(1)
    first.append(before, 'queue_full')
    first.close()
    const [segment] = readdirSync(dir)
    const garbage = Buffer.from('not a structured clone')
    const header = Buffer.alloc(8)
    header.writeUInt32LE(garbage.length, 0)
    header.writeUInt32LE(crc32(garbage), 4)
    appendFileSync(path.join(dir, segment!), Buffer.concat([header, garbage]))
    const second = new Spool({ dir, maxBytes: 1 << 30, logger })
    const after = completeOp(2)
    second.append(after, 'queue_full')
    expect(second.stats.records).toBe(3)
    expect((await drain(second)).map((op) => op.record.id)).toEqual([before.record.id, after.record.id])
    expect(second.stats.records).toBe(0)
    second.close()
  })

  it('refuses, without throwing, an append the disk cannot take, and one after close', () => {
    const dir = spoolDir()
    const spool = new Spool({ dir, maxBytes: 1 << 30, logger })
    rmSync(dir, { recursive: true, force: true })
    expect(spool.append(completeOp(1), 'queue_full')).toBe(false)
    expect(spool.stats.refused).toBe(1)
    spool.close()
    expect(spool.append(completeOp(2), 'queue_full')).toBe(false)
  })
  it('refuses a directory another live process spools into with SPOOL_LOCKED, and takes over a dead one\'s', () => {
    const dir = spoolDir()
    const lockDir = `${dir}.lock`
    dirs.push(lockDir)
    mkdirSync(lockDir)
    const owner = (pid: number) => JSON.stringify({ state: 'owned', token: 'by-hand', owner: { ...currentProcessIdentity(), pid, startTicks: null, acquiredAt: '' } })
    writeFileSync(path.join(lockDir, '0000000000000001.owner'), owner(process.ppid))
    expect(() => new Spool({ dir, maxBytes: 1 << 30, logger })).toThrow(expect.objectContaining({ code: 'SPOOL_LOCKED' }))
    writeFileSync(path.join(lockDir, '0000000000000002.owner'), owner(2147483646)) // no such process
    const spool = new Spool({ dir, maxBytes: 1 << 30, logger })
    spool.close()
  })
})
