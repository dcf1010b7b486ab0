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
  /** Closes PGlite cleanly (data persists) and ends the child process. */
  stop(): Promise<void>
}

export interface EmbeddedPostgresOptions {
  /** PGlite data directory, created if missing (the app uses DATA_DIR/pglite). */
  dataDir: string
  logger: Logger
  /** How long the first start (initdb) may take. @default 60_000 */
  startTimeoutMs?: number
}

/**
 * Starts the embedded database in a child process (see pglite-server-process.ts) and resolves
 * once it accepts connections. Under tests and `npm run dev` the child is TypeScript, run through
 * swc like its parent.
 */
export function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const isTypeScript = __filename.endsWith('.ts')
  const script = path.join(__dirname, `pglite-server-process.${isTypeScript ? 'ts' : 'js'}`)
  const dataDir = path.resolve(options.dataDir)
  const child = fork(script, [dataDir], {
    execArgv: isTypeScript ? ['-r', '@swc-node/register'] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, SWC_NODE_PROJECT: path.resolve(__dirname, '../../../tsconfig.json') },
  })

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new StoreError('EMBEDDED_START_FAILED', `The embedded database did not start within ${options.startTimeoutMs ?? 60_000} ms`)), options.startTimeoutMs ?? 60_000)
    const fail = (err: StoreError) => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(err)
    }
    child.once('exit', (code, signal) => fail(new StoreError('EMBEDDED_START_FAILED', `The embedded database process exited (${signal ?? `code ${code}`}) before it was ready`)))
    child.on('message', (message: EmbeddedMessage) => {
      if (message.type === 'error') return fail(new StoreError(message.code, message.message))
      clearTimeout(timer)
      let stopping: Promise<void> | undefined
      child.removeAllListeners('exit')
      child.on('exit', (code, signal) => {
        if (!stopping) options.logger.error({ code, signal }, 'the embedded database process exited unexpectedly')
      })
      options.logger.info({ dataDir, port: message.port, pid: child.pid }, 'embedded database ready')
      resolve({
        url: `postgres://postgres@127.0.0.1:${message.port}/postgres`,
        pid: child.pid!,
        stop: () => (stopping ??= stopChild(child)),
      })
    })
  })
}

/** Asks the child to close PGlite; kills it if it has not exited after `graceMs`. */
function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    if (child.connected) child.send('stop')
    else child.kill('SIGTERM')
  })
}
