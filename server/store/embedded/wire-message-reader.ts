/**
 * Cuts a PostgreSQL client's byte stream into whole protocol messages. Socket reads are kept as a
 * list and each message is copied out once, when it is complete (not at all when it lies inside
 * one read), so a message of any size costs time in proportion to its size, however many reads
 * it arrives in.
 */

/** PostgreSQL's own bound on a message (MaxAllocSize); anything longer is a broken or hostile client. */
const MAX_MESSAGE_BYTES = 0x3fffffff

export class WireProtocolError extends Error {
  readonly code = 'EMBEDDED_WIRE_PROTOCOL'
}

export class WireMessageReader {
  #chunks: Buffer[] = []
  #buffered = 0

  push(chunk: Buffer): void {
    if (chunk.length === 0) return
    this.#chunks.push(chunk)
    this.#buffered += chunk.length
  }

  /**
   * The next whole message with its header, or undefined until all of it has arrived. `typed`:
   * a type byte precedes the length (every message after startup); the startup-phase messages
   * (StartupMessage, SSLRequest, CancelRequest) start with the length. Throws WireProtocolError
   * on an impossible length.
   */
  next(typed: boolean): Buffer | undefined {
    const headerBytes = typed ? 5 : 4
    if (this.#buffered < headerBytes) return undefined
    const length = this.#peek(headerBytes).readInt32BE(typed ? 1 : 0)
    if (length < 4 || length > MAX_MESSAGE_BYTES) throw new WireProtocolError(`impossible message length ${length}`)
    const total = length + (typed ? 1 : 0)
    return this.#buffered < total ? undefined : this.#take(total)
  }

  /** The first `bytes` buffered bytes (a copy only when they span reads). */
  #peek(bytes: number): Buffer {
    const first = this.#chunks[0]!
    if (first.length >= bytes) return first
    const out = Buffer.allocUnsafe(bytes)
    let filled = 0
    for (const chunk of this.#chunks) {
      filled += chunk.copy(out, filled, 0, Math.min(chunk.length, bytes - filled))
      if (filled === bytes) break
    }
    return out
  }

  #take(bytes: number): Buffer {
    this.#buffered -= bytes
    const first = this.#chunks[0]!
    if (first.length >= bytes) {
      if (first.length === bytes) this.#chunks.shift()
      else this.#chunks[0] = first.subarray(bytes)
      return first.subarray(0, bytes)
    }
    const out = Buffer.allocUnsafe(bytes)
    let filled = 0
    while (filled < bytes) {
      const chunk = this.#chunks[0]!
      const n = Math.min(chunk.length, bytes - filled)
      chunk.copy(out, filled, 0, n)
      filled += n
      if (n === chunk.length) this.#chunks.shift()
      else this.#chunks[0] = chunk.subarray(n)
    }
    return out
  }
}
