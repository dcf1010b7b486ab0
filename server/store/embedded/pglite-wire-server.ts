import net from 'node:net'
import type { PGlite } from '@electric-sql/pglite'
import { WireMessageReader } from './wire-message-reader'

/**
 * Serves one PGlite to PostgreSQL clients (our `pg` pool) over a Unix socket.
 *
 * PGlite is a single database session, shared by every connection, so the server decides whose
 * messages it runs. A connection keeps the session to itself from the first message of an
 * extended query (Parse, Bind, Describe, Execute, Close) up to its Sync, and for as long as it
 * holds a transaction open: another connection's Parse or Query in between would replace or drop
 * the unnamed statement and portal the first one is still using. Between those, connections take
 * turns in arrival order. A connection that goes away while it holds the session has its
 * sequence ended (Sync) and its transaction rolled back, so the next one starts clean.
 * (COPY FROM STDIN is not kept together: nothing of ours uses it.)
 *
 * What a connection sends waits in memory until PGlite runs it; past `maxQueuedBytes` the server
 * stops reading from that connection until it has, so a client that pipelines without waiting
 * for answers fills its own buffers, not this process.
 *
 * PGlite is PostgreSQL in single-user mode, where no checkpointer runs and writing never triggers
 * a checkpoint: no write-ahead log segment is ever recycled, and pg_wal grows with every write for
 * as long as the process lives (4.3 GB beside a 481 MB database after the usage bench's seed). So
 * the server runs CHECKPOINT itself every `checkpointIntervalMs`, between two connections' turns.
 */
export interface PgliteWireServerOptions {
  db: PGlite
  /** Path of the Unix socket to listen on (the caller removes a stale one). */
  path: string
  /** Connections served at once; more are refused with SQLSTATE 53300. */
  maxConnections: number
  /**
   * Bytes of one connection's messages received and not yet run past which its socket is paused
   * until they have run. A larger message is still taken whole (the client would wait forever
   * for an answer otherwise), so the bound is this plus the largest message. Our pool sends one
   * sequence at a time and never reaches it. @default 4 MiB
   */
  maxQueuedBytes?: number
  /**
   * Milliseconds between two CHECKPOINTs, each run when no connection holds the session; after
   * one, the log segments beyond `max_wal_size` are removed (see EMBEDDED_SETTINGS). @default 30_000
   */
  checkpointIntervalMs?: number
}

const DEFAULT_MAX_QUEUED_BYTES = 4 * 1024 * 1024
const DEFAULT_CHECKPOINT_INTERVAL_MS = 30_000

const SSL_REQUEST_CODE = 80877103
const GSSENC_REQUEST_CODE = 80877104
const CANCEL_REQUEST_CODE = 80877102

/** Message types that continue an extended-query sequence rather than end it. */
const EXTENDED_QUERY_TYPES = new Set(['P', 'B', 'D', 'E', 'C'].map((c) => c.charCodeAt(0)))
/** Message types after which the client waits for an answer (Flush waits too, mid-sequence). */
const SEQUENCE_END_TYPES = new Set(['S', 'Q', 'F'].map((c) => c.charCodeAt(0)))
const FLUSH = 'H'.charCodeAt(0)
const TERMINATE = 'X'.charCodeAt(0)

/** Messages run together, in order, once the client waits for their answer. */
interface Batch {
  connection: Connection
  messages: Buffer[]
  bytes: number
  /** After it the connection needs the session no longer (unless a transaction is open). */
  endsSequence: boolean
}

/** Marks a closed connection's turn to clean up after itself. */
interface Farewell {
  connection: Connection
  farewell: true
}

/** The server's own turn to checkpoint (it belongs to no connection, so an owner's turns go first). */
interface Checkpoint {
  connection?: undefined
  checkpoint: true
}

type QueueItem = Batch | Farewell | Checkpoint

interface Connection {
  socket: net.Socket
  reader: WireMessageReader
  started: boolean
  /** Messages received since the last batch ended. */
  pending: Buffer[]
  /** Bytes of its messages received and not yet run, pending ones included. */
  queuedBytes: number
  /** Its socket is paused until PGlite has run enough of what it sent. */
  paused: boolean
  closed: boolean
}

export class PgliteWireServer {
  readonly #db: PGlite
  readonly #options: PgliteWireServerOptions
  readonly #maxQueuedBytes: number
  readonly #server: net.Server
  readonly #connections = new Set<Connection>()
  #queue: QueueItem[] = []
  /** The connection the session belongs to until its sequence or transaction ends. */
  #owner: Connection | undefined
  #draining: Promise<void> | undefined
  readonly #checkpointTimer: NodeJS.Timeout
  #checkpoints = 0

  constructor(options: PgliteWireServerOptions) {
    this.#db = options.db
    this.#options = options
    this.#maxQueuedBytes = options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES
    this.#server = net.createServer((socket) => this.#accept(socket))
    this.#checkpointTimer = setInterval(() => {
      if (!this.#queue.some((item) => 'checkpoint' in item)) this.#schedule({ checkpoint: true })
    }, options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS).unref()
  }

  /** CHECKPOINTs run since start. */
  get checkpoints(): number {
    return this.#checkpoints
  }

  /** Bytes received from clients and not yet run, over all connections. */
  get queuedBytes(): number {
    let bytes = 0
    for (const connection of this.#connections) bytes += connection.queuedBytes
    return bytes
  }

  /** Connections not read from until their queued messages have run. */
  get pausedConnections(): number {
    let paused = 0
    for (const connection of this.#connections) if (connection.paused) paused++
    return paused
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen(this.#options.path, () => {
        this.#server.off('error', reject)
        resolve()
      })
    })
  }

  /** Stops listening, drops every connection, and resolves once PGlite is no longer running their messages. */
  async stop(): Promise<void> {
    clearInterval(this.#checkpointTimer)
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()))
    for (const connection of this.#connections) connection.socket.destroy()
    await closed
    await this.#draining
  }

  #accept(socket: net.Socket): void {
    if (this.#connections.size >= this.#options.maxConnections) {
      socket.end(errorResponse('53300', 'sorry, too many clients already'))
      return
    }
    const connection: Connection = { socket, reader: new WireMessageReader(), started: false, pending: [], queuedBytes: 0, paused: false, closed: false }
    this.#connections.add(connection)
    socket.on('data', (chunk: Buffer) => this.#receive(connection, chunk))
    socket.on('error', () => {}) // 'close' follows
    socket.on('close', () => {
      connection.closed = true
      this.#connections.delete(connection)
      this.#schedule({ connection, farewell: true })
    })
  }

  #receive(connection: Connection, chunk: Buffer): void {
    connection.reader.push(chunk)
    try {
      for (let message = connection.reader.next(connection.started); message; message = connection.reader.next(connection.started)) {
        if (connection.started) this.#typedMessage(connection, message)
        else this.#startupMessage(connection, message)
        if (connection.closed) return
      }
    } catch (err) {
      process.stderr.write(`pglite-wire-server: dropping a connection: ${err instanceof Error ? err.message : String(err)}\n`)
      connection.socket.destroy()
    }
  }

  #startupMessage(connection: Connection, message: Buffer): void {
    const code = message.length >= 8 ? message.readInt32BE(4) : 0
    if (code === SSL_REQUEST_CODE || code === GSSENC_REQUEST_CODE) {
      connection.socket.write('N') // no encryption: the socket is private to this user
    } else if (code === CANCEL_REQUEST_CODE) {
      connection.socket.end() // PGlite cannot interrupt a running statement
    } else {
      connection.started = true
      connection.queuedBytes += message.length
      this.#schedule({ connection, messages: [message], bytes: message.length, endsSequence: true })
    }
  }

  #typedMessage(connection: Connection, message: Buffer): void {
    const type = message[0]!
    if (type === TERMINATE) {
      connection.socket.end()
      connection.closed = true
      return
    }
    connection.pending.push(message)
    connection.queuedBytes += message.length
    const overflowing = connection.queuedBytes > this.#maxQueuedBytes
    // Mid-sequence, the messages so far run ahead of their Sync once they fill the queue: the
    // connection keeps the session meanwhile, and a paused socket would never deliver that Sync.
    if (EXTENDED_QUERY_TYPES.has(type) && !overflowing) return
    const bytes = connection.pending.reduce((sum, m) => sum + m.length, 0)
    const batch: Batch = { connection, messages: connection.pending, bytes, endsSequence: SEQUENCE_END_TYPES.has(type) && type !== FLUSH }
    connection.pending = []
    this.#schedule(batch)
    if (overflowing && !connection.paused) {
      connection.paused = true
      connection.socket.pause()
    }
  }

  #schedule(item: QueueItem): void {
    this.#queue.push(item)
    this.#draining ??= this.#drain().finally(() => (this.#draining = undefined))
  }

  async #drain(): Promise<void> {
    for (let item = this.#nextItem(); item; item = this.#nextItem()) {
      if ('checkpoint' in item) await this.#checkpoint()
      else if ('farewell' in item) await this.#farewell(item.connection)
      else if (!item.connection.closed) await this.#run(item)
    }
  }

  /** The owner's next item while it holds the session (others wait), else the oldest. */
  #nextItem(): QueueItem | undefined {
    const owner = this.#owner
    const index = owner ? this.#queue.findIndex((item) => item.connection === owner) : this.#queue.length > 0 ? 0 : -1
    return index < 0 ? undefined : this.#queue.splice(index, 1)[0]
  }

  async #run(batch: Batch): Promise<void> {
    const { connection, messages } = batch
    // PGlite hands over views of its own memory, reused by the next call: copy before queueing a
    // write, in one block (`Buffer.from` of a typed array copies byte by byte, 15 times slower).
    const send = (data: Uint8Array) => {
      if (!connection.closed && data.length > 0) connection.socket.write(Buffer.copyBytesFrom(data))
    }
    try {
      await this.#db.runExclusive(async () => {
        for (const [i, message] of messages.entries()) {
          await this.#db.execProtocolRawStream(message, { onRawData: send, syncToFs: i === messages.length - 1 })
        }
      })
    } catch (err) {
      process.stderr.write(`pglite-wire-server: PGlite failed a message, dropping its connection: ${err instanceof Error ? err.message : String(err)}\n`)
      connection.socket.destroy()
    }
    this.#owner = !batch.endsSequence || this.#db.isInTransaction() ? connection : undefined
    connection.queuedBytes -= batch.bytes
    if (connection.paused && connection.queuedBytes <= this.#maxQueuedBytes) {
      connection.paused = false
      connection.socket.resume()
    }
  }

  async #checkpoint(): Promise<void> {
    const answer = new WireMessageReader()
    try {
      await this.#db.runExclusive(() => this.#db.execProtocolRawStream(CHECKPOINT_MESSAGE, { onRawData: (data) => answer.push(Buffer.copyBytesFrom(data)) }))
      for (let message = answer.next(true); message; message = answer.next(true)) {
        if (message[0] === ERROR_RESPONSE) throw new Error(message.subarray(5).toString('utf8').replace(/\0/g, ' ').trim())
      }
      this.#checkpoints++
    } catch (err) {
      process.stderr.write(`pglite-wire-server: CHECKPOINT failed (the write-ahead log grows until one succeeds): ${err instanceof Error ? err.message : String(err)}\n`)
    }
  }

  /** Ends what a closed connection left open in the shared session, and lets the others in. */
  async #farewell(connection: Connection): Promise<void> {
    this.#queue = this.#queue.filter((item) => item.connection !== connection)
    if (this.#owner !== connection) return
    const discard = () => {}
    try {
      await this.#db.runExclusive(async () => {
        await this.#db.execProtocolRawStream(SYNC_MESSAGE, { onRawData: discard })
        if (this.#db.isInTransaction()) await this.#db.execProtocolRawStream(ROLLBACK_MESSAGE, { onRawData: discard })
      })
    } catch (err) {
      process.stderr.write(`pglite-wire-server: cannot clean up after a closed connection: ${err instanceof Error ? err.message : String(err)}\n`)
    }
    this.#owner = undefined
  }
}

const SYNC_MESSAGE = typedMessage('S', Buffer.alloc(0))
const ROLLBACK_MESSAGE = typedMessage('Q', Buffer.from('ROLLBACK\0'))
const CHECKPOINT_MESSAGE = typedMessage('Q', Buffer.from('CHECKPOINT\0'))
const ERROR_RESPONSE = 'E'.charCodeAt(0)

/** A typed protocol message: type byte, length, body. */
export function typedMessage(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5)
  header.write(type, 0, 'latin1')
  header.writeInt32BE(4 + body.length, 1)
  return Buffer.concat([header, body])
}

/** A FATAL ErrorResponse with SQLSTATE `code`, for a client refused before startup. */
function errorResponse(code: string, message: string): Buffer {
  return typedMessage('E', Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`))
}
