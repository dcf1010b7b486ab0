import { fork, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Logger } from '../../logger'
import { StoreError } from '../store-errors'
import { embeddedDatabaseUrl } from './embedded-socket'
import type { EmbeddedMessage } from './pglite-server-process'

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

/**
 * One database process listening in `socketDir`, resolved once it is ready. A data dir that holds
 * no database yet is first initialised by a process of its own, which then exits: initdb leaves
 * hundreds of MB behind in the process that ran it (see pglite-server-process.ts).
 */
async function spawnDatabase(dataDir: string, socketDir: string, options: EmbeddedPostgresOptions): Promise<ChildProcess> {
  const startTimeoutMs = options.startTimeoutMs ?? 60_000
  const limit = { startTimeoutMs, deadline: Date.now() + startTimeoutMs }
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    const initialiser = forkDatabaseProcess(['initialise', dataDir])
    await settled(initialiser, dataDir, limit, 'exit')
    options.logger.info({ dataDir, pid: initialiser.child.pid }, 'embedded database initialised')
  }
  const server = forkDatabaseProcess(['serve', dataDir, socketDir])
  await settled(server, dataDir, limit, 'ready')
  return server.child
}

interface DatabaseProcess {
  child: ChildProcess
  /** The end of what the process wrote to stderr, to explain a start that failed before it could report. */
  stderrTail(): string
}

/**
 * How the database process's memory is kept down, beyond PostgreSQL's settings (measured idle and
 * after the bench's 200 KB load: about 220 and 235 MB without these, 150 and 175 MB with them).
 *
 * V8 compiles PGlite's 9 MB of WebAssembly, and later its hot functions again, optimised, on
 * background threads; each thread's compiler memory lands in a malloc arena of its own, freed but
 * kept by glibc. One compilation task keeps that to one arena (about 25 MB less at idle); the
 * code is the same, optimised a few seconds later (the first thousand rows of a load store about
 * 10% slower).
 */
const DATABASE_NODE_FLAGS = ['--wasm-num-compilation-tasks=1']
/**
 * glibc (ignored elsewhere): allocations from 128 KiB up (message buffers, compiler memory) are
 * mapped and unmapped on their own, and free memory at a heap's top is given back past 128 KiB.
 * Without a fixed threshold glibc raises it after the first large free, and the heap keeps what
 * those buffers took. The user's own settings, if any, win.
 */
const DATABASE_MALLOC_ENV = { MALLOC_MMAP_THRESHOLD_: '131072', MALLOC_TRIM_THRESHOLD_: '131072' }

/** Starts pglite-server-process with `args`; its stderr goes on to ours. */
function forkDatabaseProcess(args: string[]): DatabaseProcess {
  const isTypeScript = __filename.endsWith('.ts')
  const script = path.join(__dirname, `pglite-server-process.${isTypeScript ? 'ts' : 'js'}`)
  const child = fork(script, args, {
    execArgv: [...(isTypeScript ? ['-r', '@swc-node/register'] : []), ...DATABASE_NODE_FLAGS],
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    env: { ...DATABASE_MALLOC_ENV, ...process.env, SWC_NODE_PROJECT: path.resolve(__dirname, '../../../tsconfig.json') },
  })
  let tail = ''
  child.stderr!.on('data', (data: Buffer) => {
    process.stderr.write(data)
    tail = (tail + data.toString()).slice(-STDERR_TAIL_CHARS)
  })
  return { child, stderrTail: () => tail.trim() }
}

/**
 * Resolves when the process is `ready` (it reported so) or, for an initialiser, has `exit`ed with
 * code 0; rejects with its own error, or EMBEDDED_START_FAILED when it died first or the start's
 * deadline (epoch ms, shared by both processes of a first start) passed, killing it.
 */
function settled({ child, stderrTail }: DatabaseProcess, dataDir: string, limit: { startTimeoutMs: number; deadline: number }, until: 'ready' | 'exit'): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (err: StoreError) => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(err)
    }
    const timer = setTimeout(
      () => fail(new StoreError('EMBEDDED_START_FAILED', `The embedded database in ${dataDir} did not start within ${limit.startTimeoutMs} ms`)),
      Math.max(0, limit.deadline - Date.now()),
    )
    child.once('exit', (code, signal) => {
      if (until === 'exit' && code === 0) {
        clearTimeout(timer)
        return resolve()
      }
      const why = stderrTail() ? `:\n${stderrTail()}` : ''
      fail(new StoreError('EMBEDDED_START_FAILED', `The embedded database process exited (${signal ?? `code ${code}`}) before it was ready${why}`))
    })
    child.once('message', (message: EmbeddedMessage) => {
      if (message.type === 'error') return fail(new StoreError(message.code, message.message))
      if (until === 'exit') return
      clearTimeout(timer)
      child.removeAllListeners('exit')
      resolve()
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
