import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import pino from 'pino'
import type { CaptureOp } from '../../server/capture/capture-op'
import { MAX_INDEXED_TEXT_BYTES, TRUNCATION_MARKER } from '../../server/capture/indexed-text'
import { Quarantine } from '../../server/capture/persistence/quarantine'
import { BoundedQueue } from '../../server/capture/persistence/queue'
import { SpillPolicy } from '../../server/capture/persistence/spill-policy'
import { RequestBody, withRequestBody } from '../../server/records/request-body'
import { Spool } from '../../server/capture/spool/spool'
import { decodeOps } from '../../server/capture/spool/spool-codec'
import { BatchWriter, type BatchWriterOptions } from '../../server/capture/persistence/writer'
import { createCaptureStore } from '../../server/store/capture-store'
import { waitFor } from '../support/wait'
import { storedChunkRows, withWholeBodies, type StoredBodyColumns } from '../support/stored-records'
import { useMigratedStore } from '../support/test-database'
import { gatedCaptureStore } from './capture-stores'
import { chunksOf, completeOp, inFlightRecord, startOp } from './records'

const logger = pino({ level: 'silent' })

const store = useMigratedStore()

/** A started writer on its own queue; `stop()` closes it. */
function startWriter(options: Partial<BatchWriterOptions> = {}) {
  const queue = new BoundedQueue({ maxItems: 10_000, maxBytes: 64 * 1024 * 1024 })
  const writer = new BatchWriter({ store: createCaptureStore(store.dataSource), queue, logger, retryInitialMs: 10, retryMaxMs: 50, ...options })
  writer.start()
  const offerAll = (ops: CaptureOp[]) => {
    for (const op of ops) expect(queue.offer(op)).toBe(true)
  }
  return { queue, writer, offerAll }
}

/** The row as the table holds it, its request body whole. */
async function storedRow(id: string) {
  const rows: Array<StoredBodyColumns & Record<string, unknown>> = await store.dataSource.query('SELECT * FROM requests WHERE id = $1', [id])
  return rows[0] && withWholeBodies(store.dataSource, rows[0])
}

function storedChunks(id: string) {
  return storedChunkRows(store.dataSource, id)
}

describe('BatchWriter', () => {
  it('writes a batch of records in one transaction of multi-row inserts', async () => {
    const { writer, offerAll } = startWriter()
    const ops = Array.from({ length: 25 }, () => startOp(inFlightRecord()))
    offerAll(ops)
    await writer.flush()
    expect(writer.stats).toMatchObject({ written: 25, lastBatchSize: 25, failedBatches: 0, queueDepth: 0, queueBytes: 0 })
    const [{ count }] = await store.dataSource.query('SELECT count(*)::int AS count FROM requests WHERE id = ANY($1)', [ops.map((op) => op.record.id)])
    expect(count).toBe(25)
    await writer.close()
  })

  it('stores every field of a completed record and its chunks in order', async () => {
    const { writer, offerAll } = startWriter()
    const record = inFlightRecord({ stream: true })
    const usage = {
      inputTokens: 12, outputTokens: 345, cacheCreationInputTokens: 100, cacheCreation5mInputTokens: 60, cacheCreation1hInputTokens: 40,
      cacheReadInputTokens: 2_000_000, thinkingTokens: 7, webSearchRequests: 1, webFetchRequests: 0, serviceTier: 'standard', inferenceGeo: 'us',
    }
    const chunks = chunksOf(record.id, 50)
    offerAll([completeOp(record, { stopReason: 'end_turn', usage, responseSse: 'event: ping\ndata: {}\n\n', organizationId: 'org-1' }, chunks)])
    await writer.flush()
    expect(await storedRow(record.id)).toMatchObject({
      status: 'COMPLETED',
      http_status: 200,
      model: 'claude-sonnet-4-5',
      stream: true,
      stop_reason: 'end_turn',
      upstream_request_id: 'req_011CTest',
      request_headers: record.requestHeaders,
      response_headers: { 'content-type': 'application/json', 'request-id': 'req_011CTest' },
      input_tokens: '12',
      cache_read_input_tokens: '2000000',
      cache_creation_1h_input_tokens: '40',
      web_search_requests: 1,
      service_tier: 'standard',
      ttfb_ms: 310,
      organization_id: 'org-1',
      api_key_fingerprint: 'key:0badc0de',
    })
    expect(await storedChunks(record.id)).toEqual(chunks.map((c) => ({ seq: c.seq, event: c.event, data: c.data, offset_ms: c.offsetMs, bytes: c.bytes })))
    expect(writer.stats.writtenChunks).toBe(50)
    await writer.close()
  })

  it('keeps integers above 2^53 and invalid JSON in bodies exactly as sent', async () => {
    const { writer, offerAll } = startWriter()
    const bigBody = '{"model":"m","messages":[{"role":"user","content":[{"type":"tool_result","n":12345678901234567890}]}]}'
    const big = inFlightRecord({ requestBody: bigBody })
    const invalid = inFlightRecord({ requestBody: '{"model": oops', requestBodyIsJson: false })
    offerAll([startOp(big), startOp(invalid)])
    await writer.flush()
    expect((await storedRow(big.id)).request_body).toBe(bigBody)
    expect(await storedRow(invalid.id)).toMatchObject({ request_body: '{"model": oops', request_body_is_json: false })
    await writer.close()
  })

  it('stores a captured request body from its bytes, and as storable text when they are not valid UTF-8 or hold NUL', async () => {
    const { writer, offerAll } = startWriter()
    const captured = (bytes: Buffer) => {
      const { requestBody: _text, ...fields } = inFlightRecord({ requestBodyBytes: bytes.length })
      return withRequestBody(fields, new RequestBody(bytes))
    }
    const utf8 = captured(Buffer.from('{"model":"m","content":"café ☕ 😀","n":12345678901234567890}'))
    const broken = captured(Buffer.from([0x7b, 0xff, 0x00, 0x7d]))
    offerAll([startOp(utf8), startOp(broken)])
    await writer.flush()
    expect((await storedRow(utf8.id)).request_body).toBe('{"model":"m","content":"café ☕ 😀","n":12345678901234567890}')
    expect((await storedRow(broken.id)).request_body).toBe('{\uFFFD\uFFFD}')
    await writer.close()
  })

  it('completes a row once: a later start or a second completion never overwrites it', async () => {
    const { writer, offerAll } = startWriter()
    const record = inFlightRecord()
    offerAll([startOp(record)])
    await writer.flush()
    expect((await storedRow(record.id)).status).toBe('IN_FLIGHT')
    offerAll([completeOp(record, { status: 'COMPLETED', httpStatus: 200 })])
    await writer.flush()
    offerAll([startOp(record)])
    await writer.flush()
    offerAll([completeOp(record, { status: 'FAILED', httpStatus: 500, error: 'late duplicate' })])
    await writer.flush()
    expect(await storedRow(record.id)).toMatchObject({ status: 'COMPLETED', http_status: 200, error: null })
    await writer.close()
  })

  it('writes a start and its completion queued together as one completed row', async () => {
    const { queue, writer } = startWriter()
    const record = inFlightRecord()
    queue.offer(startOp(record))
    queue.offer(completeOp(record, {}, chunksOf(record.id, 3)))
    await writer.flush()
    expect(writer.stats.written).toBe(1)
    expect((await storedRow(record.id)).status).toBe('COMPLETED')
    expect(await storedChunks(record.id)).toHaveLength(3)
    await writer.close()
  })

  it('waits lingerMs for company, so a quick exchange is one row write, and flush does not wait for it', async () => {
    const { writer, offerAll } = startWriter({ lingerMs: 300 })
    const quick = inFlightRecord()
    offerAll([startOp(quick)])
    // One turn of the event loop: the writer has woken on the start and is lingering when the completion comes.
    await new Promise(setImmediate)
    offerAll([completeOp(quick)])
    await waitFor(() => writer.stats.written > 0, 'the lingering batch to be written')
    expect(writer.stats).toMatchObject({ written: 1, lastBatchSize: 1 })
    expect((await storedRow(quick.id)).status).toBe('COMPLETED')
    await writer.close()

    // A linger far beyond the test's timeout: flush resolving at all shows it did not wait for it.
    const lingering = startWriter({ lingerMs: 24 * 60 * 60 * 1000 })
    const late = inFlightRecord()
    lingering.offerAll([startOp(late)])
    await lingering.writer.flush()
    expect((await storedRow(late.id)).status).toBe('IN_FLIGHT')
    await lingering.writer.close()
  })

  it('writes a batch at once when it fills during the linger, by count or by bytes, rather than waiting it out', async () => {
    // A linger far beyond the test's timeout: the writes happening at all show the full batches cut it short.
    const byCount = startWriter({ lingerMs: 24 * 60 * 60 * 1000, batchMaxItems: 3 })
    byCount.offerAll([startOp(inFlightRecord())])
    // One turn of the event loop: the writer has woken on the first op and is lingering when the rest come.
    await new Promise(setImmediate)
    byCount.offerAll([startOp(inFlightRecord()), startOp(inFlightRecord())])
    await waitFor(() => byCount.writer.stats.written === 3, 'the full batch to be written')
    expect(byCount.writer.stats).toMatchObject({ lastBatchSize: 3, queueDepth: 0 })
    await byCount.writer.close()

    const withBodyOf = (text: string) => {
      const bytes = Buffer.from(text)
      const { requestBody: _text, ...fields } = inFlightRecord({ requestBodyBytes: bytes.length })
      return withRequestBody(fields, new RequestBody(bytes))
    }
    const byBytes = startWriter({ lingerMs: 24 * 60 * 60 * 1000, batchMaxBytes: 64 * 1024 })
    byBytes.offerAll([startOp(withBodyOf('{"model":"m"}'))])
    await new Promise(setImmediate)
    byBytes.offerAll([startOp(withBodyOf(`{"model":"m","content":"${'x'.repeat(80_000)}"}`))])
    await waitFor(() => byBytes.writer.stats.written === 2, 'the batch past batchMaxBytes to be written')
    expect(byBytes.writer.stats.queueDepth).toBe(0)
    await byBytes.writer.close()
  })

  it('splits a batch whose rows exceed the bind-parameter limit into several statements', async () => {
    const { writer, offerAll } = startWriter()
    const record = inFlightRecord({ stream: true })
    offerAll([completeOp(record, {}, chunksOf(record.id, 12_000))])
    await writer.flush()
    const chunks = await storedChunks(record.id)
    expect(chunks).toHaveLength(12_000)
    expect(chunks.at(-1)?.seq).toBe(11_999)
    await writer.close()
  })

  it('keeps records queued while the database fails and writes them once it is back', async () => {
    const { writer, offerAll } = startWriter()
    await store.dataSource.query('ALTER TABLE stream_chunks RENAME TO stream_chunks_away')
    const record = inFlightRecord({ stream: true })
    offerAll([completeOp(record, {}, chunksOf(record.id, 5)), startOp(inFlightRecord())])
    try {
      await expect.poll(() => writer.stats.failedBatches, { timeout: 10_000 }).toBeGreaterThanOrEqual(2)
      expect(await storedRow(record.id)).toBeUndefined()
      expect(writer.stats.refused).toBe(0)
    } finally {
      await store.dataSource.query('ALTER TABLE stream_chunks_away RENAME TO stream_chunks')
    }
    await writer.flush()
    expect((await storedRow(record.id)).status).toBe('COMPLETED')
    expect(await storedChunks(record.id)).toHaveLength(5)
    await writer.close()
  })

  it('stores a record whose numbers the database refuses in reduced form, flagged CAPTURE_REDUCED, and writes the rest of its batch', async () => {
    const { writer, offerAll } = startWriter()
    const refused = inFlightRecord({ httpStatus: 2 ** 31 })
    const fine = [inFlightRecord(), inFlightRecord()]
    offerAll([startOp(fine[0]), startOp(refused), startOp(fine[1])])
    await writer.flush()
    expect(writer.stats).toMatchObject({ reduced: 1, quarantined: 0, rejected: 0, queueDepth: 0 })
    expect(await storedRow(refused.id)).toMatchObject({ status: 'IN_FLIGHT', http_status: null, error_code: 'CAPTURE_REDUCED', request_body: refused.requestBody })
    expect((await storedRow(refused.id)).error).toMatch(/^CAPTURE_REDUCED: .*SQLSTATE 22003/)
    for (const record of fine) expect((await storedRow(record.id)).status).toBe('IN_FLIGHT')
    await writer.close()
  })

  it('stores a record whose model is too large for its index in reduced form, and the records queued behind it', async () => {
    const { writer, offerAll } = startWriter()
    // Random text does not compress, so the index entry really is 4 KB.
    const oversized = inFlightRecord({ model: randomBytes(3072).toString('base64') })
    const behind = Array.from({ length: 3 }, () => inFlightRecord())
    offerAll([startOp(oversized), ...behind.map((record) => startOp(record))])
    await writer.flush(10_000)
    const row = await storedRow(oversized.id)
    expect(row).toMatchObject({ error_code: 'CAPTURE_REDUCED', request_body: oversized.requestBody })
    expect(Buffer.byteLength(row.model as string)).toBeLessThanOrEqual(MAX_INDEXED_TEXT_BYTES)
    expect(row.model).toBe(oversized.model!.slice(0, (row.model as string).length - TRUNCATION_MARKER.length) + TRUNCATION_MARKER)
    expect(row.error).toMatch(/SQLSTATE 54000/)
    for (const record of behind) expect((await storedRow(record.id)).status).toBe('IN_FLIGHT')
    expect(writer.stats).toMatchObject({ reduced: 1, quarantined: 0 })
    await writer.close()
  })

  it('quarantines a record the database refuses even reduced to a private file, counts it, and writes the others', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'claudescope-quarantine-'))
    const quarantine = new Quarantine({ dir: path.join(dir, 'quarantine'), logger })
    const { writer, offerAll } = startWriter({ quarantine })
    // No reduction repairs an id that is not a uuid.
    const poisoned = inFlightRecord({ id: 'not-a-uuid' })
    const fine = [inFlightRecord(), inFlightRecord()]
    offerAll([startOp(fine[0]), startOp(poisoned), startOp(fine[1])])
    await writer.flush()
    expect(writer.stats).toMatchObject({ quarantined: 1, rejected: 0, queueDepth: 0 })
    for (const record of fine) expect((await storedRow(record.id)).status).toBe('IN_FLIGHT')
    expect(statSync(quarantine.file).mode & 0o777).toBe(0o600)
    const { ops } = decodeOps(readFileSync(quarantine.file))
    expect(ops.map((op) => op.record.id)).toEqual(['not-a-uuid'])
    expect(ops[0]!.record.requestBody).toBe(poisoned.requestBody)
    await writer.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('closes the row of a completion it quarantines, bare and naming the quarantine file, so the request does not stay in flight', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'claudescope-quarantine-'))
    const quarantine = new Quarantine({ dir: path.join(dir, 'quarantine'), logger })
    const { writer, offerAll } = startWriter({ quarantine })
    const record = inFlightRecord()
    offerAll([startOp(record)])
    await writer.flush()
    // No reduction repairs a stream event that names another request.
    const [event] = chunksOf(record.id, 1)
    offerAll([completeOp(record, { status: 'COMPLETED', httpStatus: 200, responseBody: '{"type":"message"}' }, [{ ...event!, requestId: 'not-a-uuid' }])])
    await writer.flush()
    expect(writer.stats).toMatchObject({ quarantined: 1, queueDepth: 0 })
    expect(await storedRow(record.id)).toMatchObject({ status: 'COMPLETED', http_status: 200, error_code: 'CAPTURE_SET_ASIDE', response_body: null, request_body: record.requestBody })
    expect(String((await storedRow(record.id))!.error)).toContain(quarantine.file)
    await writer.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('gives up a flush after its timeout with CAPTURE_FLUSH_TIMEOUT, keeping the records for later', async () => {
    const { writer, offerAll } = startWriter()
    const record = inFlightRecord()
    await store.dataSource.query('ALTER TABLE requests RENAME TO requests_away')
    try {
      offerAll([startOp(record)])
      await expect(writer.flush(200)).rejects.toMatchObject({ code: 'CAPTURE_FLUSH_TIMEOUT' })
    } finally {
      await store.dataSource.query('ALTER TABLE requests_away RENAME TO requests')
    }
    await writer.flush()
    expect((await storedRow(record.id)).status).toBe('IN_FLIGHT')
    await writer.close()
  })
  /** The test database behind a gate: while closed, a transaction waits as on a hung server. */
  function tempSpool() {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'claudescope-writer-spool-'))
    return { dir, spool: new Spool({ dir, maxBytes: 1 << 30, logger }), remove: () => rmSync(dir, { recursive: true, force: true }) }
  }

  it('copies a batch whose commit hangs for spillAfterMs to the spool, then skips the copy when the commit goes through', async () => {
    const database = gatedCaptureStore(createCaptureStore(store.dataSource))
    const { spool, remove } = tempSpool()
    const { writer, offerAll } = startWriter({ store: database.store, spool, spillPolicy: new SpillPolicy(100) })
    database.shut()
    const ops = Array.from({ length: 5 }, () => startOp(inFlightRecord()))
    offerAll(ops)
    await waitFor(() => spool.stats.spilled === 5, 'the stalled batch to be copied to the spool')
    expect(spool.stats.spilledBy).toMatchObject({ database_stalled: 5, shutdown: 0 })
    database.open()
    await writer.flush()
    for (const op of ops) expect((await storedRow(op.record.id)).status).toBe('IN_FLIGHT')
    expect(writer.stats.written).toBe(5) // the copies were not written a second time
    expect(spool.stats).toMatchObject({ records: 0, bytes: 0, replayed: 0 })
    await writer.close()
    spool.close()
    remove()
  })

  it('stops within its close timeout on a hung commit, leaving the batch in the spool for the next start', async () => {
    const database = gatedCaptureStore(createCaptureStore(store.dataSource))
    const { dir, spool, remove } = tempSpool()
    const { writer, offerAll } = startWriter({ store: database.store, spool, spillPolicy: new SpillPolicy(60_000) })
    database.shut()
    const ops = Array.from({ length: 3 }, () => startOp(inFlightRecord()))
    offerAll(ops)
    await waitFor(() => writer.stats.queueDepth === 0, 'the writer to take the batch')
    // The gate never opens, so close resolving at all shows it gave up on the hung commit.
    await writer.close(100)
    expect(spool.stats).toMatchObject({ records: 3, spilledBy: { shutdown: 3, database_stalled: 0 } })
    spool.close()

    const nextSpool = new Spool({ dir, maxBytes: 1 << 30, logger })
    const next = startWriter({ spool: nextSpool })
    await next.writer.flush()
    for (const op of ops) expect((await storedRow(op.record.id)).status).toBe('IN_FLIGHT')
    expect(nextSpool.stats).toMatchObject({ records: 0, replayed: 3 })
    await next.writer.close()
    nextSpool.close()
    database.open()
    remove()
  })

  it('replays the spooled starts of another capture run closed as orphans, a completion behind them still completing its record', async () => {
    const { spool, remove } = tempSpool()
    const deadRun = randomUUID()
    const cut = inFlightRecord({ runId: deadRun })
    const finished = inFlightRecord({ runId: deadRun })
    const ownRun = randomUUID()
    const own = inFlightRecord({ runId: ownRun })
    for (const op of [startOp(cut), startOp(finished), completeOp(finished), startOp(own)]) expect(spool.append(op, 'queue_full')).toBe(true)
    const { writer } = startWriter({ spool, runId: ownRun })
    await writer.flush()
    expect(await storedRow(cut.id)).toMatchObject({ status: 'ABORTED', error_code: 'CAPTURE_ORPHANED' })
    expect(await storedRow(finished.id)).toMatchObject({ status: 'COMPLETED', error_code: null })
    expect((await storedRow(own.id)).status).toBe('IN_FLIGHT')
    await writer.close()
    spool.close()
    remove()
  })

  it('replays a spooled batch holding a poisoned record without wedging: the rest is stored, the poison quarantined, the spool emptied', async () => {
    const { dir, spool, remove } = tempSpool()
    const quarantine = new Quarantine({ dir: path.join(dir, 'quarantine'), logger })
    const oversized = inFlightRecord({ model: randomBytes(3072).toString('base64') })
    const poisoned = inFlightRecord({ id: 'not-a-uuid' })
    const fine = inFlightRecord()
    for (const op of [startOp(oversized), startOp(poisoned), startOp(fine)]) expect(spool.append(op, 'queue_full')).toBe(true)
    const { writer, offerAll } = startWriter({ spool, quarantine })
    await writer.flush(10_000)
    expect(spool.stats.records).toBe(0)
    expect(writer.stats).toMatchObject({ reduced: 1, quarantined: 1 })
    expect((await storedRow(fine.id)).status).toBe('IN_FLIGHT')
    expect((await storedRow(oversized.id)).error_code).toBe('CAPTURE_REDUCED')
    const later = inFlightRecord()
    offerAll([startOp(later)])
    await writer.flush(10_000)
    expect((await storedRow(later.id)).status).toBe('IN_FLIGHT')
    await writer.close()
    spool.close()
    remove()
  })
})
