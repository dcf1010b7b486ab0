import { setImmediate as nextTurn } from 'node:timers/promises'
import type { DataSource } from 'typeorm'
import type { CaptureOp } from '../records/capture-op'
import type { ConversationWrites } from '../records/conversation-record'
import { ORPHANED_ERROR_CODE, ORPHANED_MESSAGE } from '../records/orphaned-record'
import { buildBatchStatements, writesRequestBody } from './batch-statements'
import { conversationStatements } from './conversation-statements'
import { KnownContents } from './contents/known-contents'
import { storedBodyOf } from './contents/stored-body'
import { CAPTURE_RUNS_TABLE } from './tables/capture-runs.table'
import { REQUESTS_TABLE } from './tables/requests.table'

/**
 * What capture asks of the store: every statement capture runs, behind calls that speak of
 * records and runs. Capture holds this interface only; server/app.ts gives it the implementation.
 */
export interface CaptureStore {
  /**
   * Writes one batch (ops with distinct ids), atomically: starts insert IN_FLIGHT rows, a
   * completion writes its row and stream chunks. A completion whose start row is stored
   * (`isStartStored`) only updates it; a finished row is never touched again. The parts of
   * request bodies are stored once each, in `contents`; a part this store wrote lately is not sent again.
   */
  writeBatch(ops: readonly CaptureOp[], isStartStored: (id: string) => boolean): Promise<void>
  /**
   * Whether a failed write may succeed later with the same rows (the database was unreachable,
   * stopped, locked ...), as opposed to a refusal caused by the rows themselves.
   */
  isTransient(err: unknown): boolean
  /** Marks the run alive now (on the database's clock), first deleting `previousRunId`'s row when given. */
  heartbeat(runId: string, previousRunId: string | null): Promise<void>
  /** Closes the IN_FLIGHT records of runs silent for `staleAfterS` seconds (or of no run) as ABORTED `CAPTURE_ORPHANED`; returns how many. */
  sweepOrphans(staleAfterS: number): Promise<number>
  /** Deletes the rows of runs silent for `staleAfterS` seconds. */
  forgetStaleRuns(staleAfterS: number): Promise<void>
}

/**
 * Bytes of request bodies laid out (cut into parts and hashed) between two turns of the event
 * loop: about half a millisecond of work, so a batch of large bodies never holds up the streams
 * being forwarded meanwhile.
 */
const LAYOUT_BYTES_PER_TURN = 128 * 1024

export interface CaptureStoreOptions {
  /**
   * Groups a batch's requests into conversations (see conversations/grouper), after their bodies
   * are laid out and before its statements are built: what it returns is written in the same
   * transaction. It runs in the writer, beside forwarding, never in its way, and may read the
   * store first (threads stored before a restart). @default none
   */
  group?: (ops: readonly CaptureOp[], isStartStored: (id: string) => boolean) => Promise<ConversationWrites | null>
  /** Told the conversations a committed batch changed (for live updates). */
  onConversationsChanged?: (conversationIds: readonly string[]) => void
}

/** The CaptureStore of a migrated store. */
export function createCaptureStore(dataSource: DataSource, options: CaptureStoreOptions = {}): CaptureStore {
  const known = new KnownContents()
  return {
    async writeBatch(ops, isStartStored) {
      let laidOut = 0
      for (const op of ops) {
        if (!writesRequestBody(op, isStartStored)) continue
        storedBodyOf(op.record)
        if ((laidOut += op.record.requestBodyBytes) < LAYOUT_BYTES_PER_TURN) continue
        laidOut = 0
        await nextTurn()
      }
      const { statements, contentIds } = buildBatchStatements(ops, isStartStored, known.knownNow())
      const conversations = (await options.group?.(ops, isStartStored)) ?? null
      if (conversations !== null) statements.push(...conversationStatements(conversations))
      if (statements.length === 1) {
        // One statement commits on its own: a single round trip instead of three.
        await dataSource.query(statements[0]!.text, statements[0]!.values)
      } else {
        await dataSource.transaction(async (manager) => {
          for (const statement of statements) await manager.query(statement.text, statement.values)
        })
      }
      known.add(contentIds)
      if (conversations !== null && conversations.touchedConversationIds.length > 0) options.onConversationsChanged?.(conversations.touchedConversationIds)
    },
    isTransient,
    async heartbeat(runId, previousRunId) {
      if (previousRunId !== null) await dataSource.query(`DELETE FROM ${CAPTURE_RUNS_TABLE} WHERE id = $1`, [previousRunId])
      await dataSource.query(
        `INSERT INTO ${CAPTURE_RUNS_TABLE} (id, started_at, last_seen_at) VALUES ($1, now(), now()) ON CONFLICT (id) DO UPDATE SET last_seen_at = now()`,
        [runId],
      )
    },
    async sweepOrphans(staleAfterS) {
      // TypeORM answers an UPDATE with [rows, affected count].
      const [, count] = (await dataSource.query(
        `UPDATE ${REQUESTS_TABLE} SET status = 'ABORTED', error_code = $1, error = $2
         WHERE status = 'IN_FLIGHT' AND NOT EXISTS (
           SELECT 1 FROM ${CAPTURE_RUNS_TABLE} r WHERE r.id = ${REQUESTS_TABLE}.run_id AND r.last_seen_at > now() - make_interval(secs => $3))`,
        [ORPHANED_ERROR_CODE, ORPHANED_MESSAGE, staleAfterS],
      )) as [unknown[], number]
      return count
    },
    async forgetStaleRuns(staleAfterS) {
      await dataSource.query(`DELETE FROM ${CAPTURE_RUNS_TABLE} WHERE last_seen_at < now() - make_interval(secs => $1)`, [staleAfterS])
    },
  }
}

/** SQLSTATE of a pg error, as TypeORM's QueryFailedError copies it. */
function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
}

/**
 * SQLSTATE classes of failures that do not depend on the rows, so every batch would meet them:
 * retried (and spooled meanwhile) until they pass, never isolated. Connection (08), operator
 * intervention such as a shutdown or statement timeout (57), insufficient resources (53),
 * transaction rollback such as a deadlock (40), system errors such as I/O (58), and the schema or
 * access as a whole: missing table or privilege (42), database (3D), authorization (28), lock not
 * available (55).
 */
const TRANSIENT_CLASSES = new Set(['08', '57', '53', '40', '58', '42', '3D', '28', '55'])

/**
 * A transient SQLSTATE, or an error without one (the connection failed before the server
 * answered). Any other SQLSTATE (data exception 22, integrity 23, program limit 54, ...) refuses
 * these rows every time, and so does an error raised while building the statement from them.
 */
function isTransient(err: unknown): boolean {
  const state = sqlState(err)
  if (state !== undefined) return TRANSIENT_CLASSES.has(state.slice(0, 2))
  return !(err instanceof TypeError || err instanceof RangeError)
}
