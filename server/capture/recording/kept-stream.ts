import type { ChunkBacklog } from '../../live/live-bus'
import type { CapturedChunks } from '../../records/capture-op'
import type { StreamChunkRecord } from '../../records/request-record'
import { storableText } from '../../records/storable-text'
import { SseParser, type SseEvent } from '../../wire/sse-parser'
import type { KeptBytes } from './kept-bytes'

/**
 * A stream's events as capture holds them while the stream runs and until they are stored: its
 * bytes (kept by the recording anyway) and each event's arrival offset, nothing per event but
 * numbers. The events' records are parsed again from the bytes when someone asks for them: the
 * writer once the stream ended, a subscriber joining midway. A record and its text held per event
 * for the stream's whole life were copied by every young collection they lived through, then
 * promoted to the old generation; so were those made at the stream's end, which waited in the
 * queue for the writer.
 *
 * The same parser over the same bytes dispatches the same events in the same order, and both
 * parses make their records with `streamChunkRecord`, so the records are those the recording's
 * parse published, up to the last event whose bytes are all kept.
 */
export class KeptStream implements ChunkBacklog, CapturedChunks {
  readonly #requestId: string
  readonly #kept: KeptBytes
  readonly #offsetsMs: number[] = []
  #dataLength = 0

  /** `kept`: the stream's decoded bytes, as fed to the recording's parse. */
  constructor(requestId: string, kept: KeptBytes) {
    this.#requestId = requestId
    this.#kept = kept
  }

  /** Events whose offsets are held: those completed by a read that was kept. */
  get count(): number {
    return this.#offsetsMs.length
  }

  get dataLength(): number {
    return this.#dataLength
  }

  /**
   * The recording's parse dispatched its next event, which completed with the read at `offsetMs`.
   * Called only when that read is among the kept bytes, so that an endless stream holds no more
   * offsets than its kept bytes hold events. `dataLength`: the length of its record's data.
   */
  noteEvent(offsetMs: number, dataLength: number): void {
    this.#offsetsMs.push(offsetMs)
    this.#dataLength += dataLength
  }

  /** The records of the events the recording's parse dispatched whose bytes are all kept, in order from seq 0. */
  records(): StreamChunkRecord[] {
    const chunks: StreamChunkRecord[] = []
    const offsetsMs = this.#offsetsMs
    // No line bound is needed: a line past the recording's (the kept bytes' own limit) never lies whole in them.
    const parser = new SseParser((event) => {
      const seq = chunks.length
      // Bytes are kept before the recording parses them: an event it has not dispatched yet is left out.
      if (seq < offsetsMs.length) chunks.push(streamChunkRecord(this.#requestId, seq, event, offsetsMs[seq]!))
    })
    parser.push(this.#kept.bytes())
    return chunks
  }
}

/** A stream event as stored and published: its texts as PostgreSQL stores them, numbered in the stream. */
export function streamChunkRecord(requestId: string, seq: number, event: SseEvent, offsetMs: number): StreamChunkRecord {
  return { requestId, seq, event: event.event === null ? null : storableText(event.event), data: storableText(event.data), offsetMs, bytes: event.bytes }
}
