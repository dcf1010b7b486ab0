import { fork, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import type { Logger } from '../../logger'
import { StoreError } from '../store-errors'
import type { EmbeddedMessage } from './pglite-server-process'

export interface EmbeddedPostgres {
  /** postgres://… URL of the embedded server, for `openStore`. */
  url: string
  /** The database process, for operators' tools and outage tests. */
  pid: number
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
}

/** Most stderr kept from the child, to explain a start that failed before it could report. */
const STDERR_TAIL_CHARS = 4000

/**
 * Starts the embedded database in a child process (see pglite-server-process.ts) and resolves
 * once it accepts connections. Fails with a StoreError: `EMBEDDED_DATA_DIR_LOCKED` when another
 * live process serves `dataDir`, `EMBEDDED_START_FAILED` otherwise (with the child's own message).
 * Under tests and `npm run dev` the child is TypeScript, run through swc like its parent.
 */
export function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const startTimeoutMs = options.startTimeoutMs ?? 60_000
  const isTypeScript = __filename.endsWith('.ts')
  const script = path.join(__dirname, `pglite-server-process.${isTypeScript ? 'ts' : 'js'}`)
  const dataDir = path.resolve(options.dataDir)
  const child = fork(script, [dataDir], {
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
      let stopping: Promise<void> | undefined
      child.removeAllListeners('exit')
      child.on('exit', (code, signal) => {
        if (!stopping) options.logger.error({ code, signal, pid: child.pid }, 'the embedded database process exited unexpectedly')
      })
      options.logger.info({ dataDir, port: message.port, pid: child.pid }, 'embedded database ready')
      resolve({
        url: `postgres://postgres@127.0.0.1:${message.port}/postgres`,
        pid: child.pid!,
        stop: () => (stopping ??= stopChild(child, options.stopTimeoutMs ?? 15_000)),
      })
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
