import { fork, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Logger } from '../../logger'
import { StoreError } from '../store-errors'
import { embeddedDatabaseUrl } from './embedded-socket'
import type { EmbeddedMessage } from './pglite-server-process'

/**
 * The largest capture batch worth one statement to the embedded database. Its wire server frames
 * messages in linear time, so 600 records of 200 KB go in at about 480-690 a second in 2 MiB and
 * in 16 MiB batches alike (no clear winner); the smaller batch stays because PGlite is one session
 * that a statement holds for all its length, and other connections (the dashboard) wait less.
 */
export const EMBEDDED_BATCH_MAX_BYTES = 2 * 1024 * 1024

export interface EmbeddedPostgres {
  /** postgres://… URL of the embedded server's Unix socket, for `openStore`; a restart keeps it. */
  url: string
  /** The database process now (a restart replaces it), for operators' tools and outage tests. */
  readonly pid: number
  /** Times the process was started again after it died. */
  readonly restarts: number
  /** Closes PGlite cleanly (data persists) and ends the child process; idempotent. */
  stop(): Promise<void>
}

export interface EmbeddedPostgresOptions {
  /** PGlite data directory, created if missing (the app uses DATA_DIR/pglite). */
  dataDir: string
  logger: Logger
  /** How long the start may take; the first one runs initdb (seconds). @default 60_000 */
  startTimeoutMs?: number
  /** How long `stop()` waits for PGlite to close before killing the process. @default 15_000 */
  stopTimeoutMs?: number
  /**
   * Start the process again, on the same data directory and socket (so open pools reconnect), when
   * it dies unexpectedly; retried with backoff while it fails. Capture spools meanwhile. @default true
   */
  restartOnExit?: boolean
}

/** Most stderr kept from the child, to explain a start that failed before it could report. */
const STDERR_TAIL_CHARS = 4000
/** First wait before a restart; doubles while restarts fail or the process keeps dying young. */
const RESTART_INITIAL_MS = 250
const RESTART_MAX_MS = 30_000
/** A process that ran this long resets the restart backoff. */
const RESTART_STABLE_MS = 60_000

/**
 * Starts the embedded database in a child process (see pglite-server-process.ts) and resolves
 * once it accepts connections on a Unix socket in a fresh directory of the system's temporary
 * directory, private to this user (0700) and removed by `stop()`; a short path, because socket
 * paths are limited to about 100 bytes. Fails with a StoreError: `EMBEDDED_DATA_DIR_LOCKED` when another
 * live process serves `dataDir`, `EMBEDDED_START_FAILED` otherwise (with the child's own message).
 * Once started, it supervises the process: see `restartOnExit`.
 * Under tests and `npm run dev` the child is TypeScript, run through swc like its parent.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(options.dataDir)
  const socketDir = mkdtempSync(path.join(os.tmpdir(), 'claudescope-db-'))
  const removeSocketDir = () => rmSync(socketDir, { recursive: true, force: true })
  let current: ChildProcess
  try {
    current = await spawnDatabase(dataDir, socketDir, options)
  } catch (err) {
    removeSocketDir()
    throw err
  }
  const { logger } = options
  let startedAt = Date.now()
  let restarts = 0
  let delayMs = RESTART_INITIAL_MS
  let stopping: Promise<void> | undefined
  let restartTimer: NodeJS.Timeout | undefined
  let restarting: Promise<unknown> | undefined

  const restartLater = () => {
    restartTimer = setTimeout(() => {
      restarting = spawnDatabase(dataDir, socketDir, options).then(
        (next) => {
          current = next
          startedAt = Date.now()
          restarts++
          watch(current)
          logger.info({ dataDir, socketDir, pid: current.pid, restarts }, 'embedded database restarted')
        },
        (err: unknown) => {
          if (stopping) return
          delayMs = Math.min(delayMs * 2, RESTART_MAX_MS)
          logger.error({ err, retryInMs: delayMs }, 'the embedded database could not be restarted; retrying')
          restartLater()
        },
      )
    }, delayMs).unref()
  }
  const watch = (child: ChildProcess) =>
    child.on('exit', (code, signal) => {
      if (stopping) return
      if (options.restartOnExit === false) return logger.error({ code, signal, pid: child.pid }, 'the embedded database process exited unexpectedly')
      delayMs = Date.now() - startedAt >= RESTART_STABLE_MS ? RESTART_INITIAL_MS : Math.min(delayMs * 2, RESTART_MAX_MS)
      logger.error({ code, signal, pid: child.pid, restartInMs: delayMs }, 'the embedded database process exited unexpectedly; restarting it')
      restartLater()
    })
  watch(current)
  logger.info({ dataDir, socketDir, pid: current.pid }, 'embedded database ready')

  return {
    url: embeddedDatabaseUrl(socketDir),
    get pid() {
      return current.pid!
    },
    get restarts() {
      return restarts
    },
    stop: () =>
      (stopping ??= (async () => {
        clearTimeout(restartTimer)
        await restarting?.catch(() => {})
        await stopChild(current, options.stopTimeoutMs ?? 15_000)
        removeSocketDir()
      })()),
  }
}

/** One database process listening in `socketDir`, resolved once it is ready. */
function spawnDatabase(dataDir: string, socketDir: string, options: EmbeddedPostgresOptions): Promise<ChildProcess> {
  const startTimeoutMs = options.startTimeoutMs ?? 60_000
  const isTypeScript = __filename.endsWith('.ts')
  const script = path.join(__dirname, `pglite-server-process.${isTypeScript ? 'ts' : 'js'}`)
  const child = fork(script, [dataDir, socketDir], {
    execArgv: isTypeScript ? ['-r', '@swc-node/register'] : [],
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    env: { ...process.env, SWC_NODE_PROJECT: path.resolve(__dirname, '../../../tsconfig.json') },
  })
  let stderrTail = ''
  child.stderr!.on('data', (data: Buffer) => {
    process.stderr.write(data)
    stderrTail = (stderrTail + data.toString()).slice(-STDERR_TAIL_CHARS)
  })

  return new Promise((resolve, reject) => {
    const fail = (err: StoreError) => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(err)
    }
    const timer = setTimeout(
      () => fail(new StoreError('EMBEDDED_START_FAILED', `The embedded database in ${dataDir} did not start within ${startTimeoutMs} ms`)),
      startTimeoutMs,
    )
    child.once('exit', (code, signal) => {
      const why = stderrTail.trim() ? `:\n${stderrTail.trim()}` : ''
      fail(new StoreError('EMBEDDED_START_FAILED', `The embedded database process exited (${signal ?? `code ${code}`}) before it was ready${why}`))
    })
    child.once('message', (message: EmbeddedMessage) => {
      if (message.type === 'error') return fail(new StoreError(message.code, message.message))
      clearTimeout(timer)
      child.removeAllListeners('exit')
      resolve(child)
    })
  })
}

/** Asks the child to close PGlite; kills it if it has not exited after `graceMs`. */
function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    // Without the IPC channel the child has seen `disconnect` and is already closing.
    if (child.connected) child.send('stop')
  })
}
