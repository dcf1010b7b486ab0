/**
 * The embedded database as its own process: PGlite (WASM PostgreSQL) behind a PostgreSQL wire
 * socket on 127.0.0.1. PGlite is single-threaded and runs every query on its event loop, so it
 * lives here and never stalls the proxy's streams. Started by `startEmbeddedPostgres`, which it
 * tells its port over IPC; it exits when told to stop or when its parent goes away.
 */
import { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'
import { mkdirSync } from 'node:fs'
import { acquireDataDirLock, releaseDataDirLock } from './data-dir-lock'

export type EmbeddedMessage = { type: 'ready'; port: number } | { type: 'error'; code: 'EMBEDDED_DATA_DIR_LOCKED' | 'EMBEDDED_START_FAILED'; message: string }

/** PGlite serves connections one query at a time; more than the app's pool only queues longer. */
const MAX_CONNECTIONS = 16

/** `requestedPort` 0 takes any free one; a restart asks for its predecessor's, so open pools reconnect. */
async function main(dataDir: string, requestedPort: number): Promise<void> {
  try {
    mkdirSync(dataDir, { recursive: true })
  } catch (err) {
    return fail('EMBEDDED_START_FAILED', `Cannot create the embedded database directory ${dataDir}: ${messageOf(err)}`)
  }
  const lock = acquireDataDirLock(dataDir)
  if (!lock.acquired) {
    return fail('EMBEDDED_DATA_DIR_LOCKED', `Another Claudescope (pid ${lock.holderPid}) is using the embedded database in ${dataDir}. Stop it, or set DATA_DIR to another directory.`)
  }
  let db: PGlite | undefined
  let server: PGLiteSocketServer | undefined
  let stopping: Promise<void> | undefined
  const stop = () =>
    (stopping ??= (async () => {
      try {
        await server?.stop()
        await db?.close()
      } finally {
        releaseDataDirLock(dataDir)
        process.exit(0)
      }
    })())
  // The parent decides when the database stops: a terminal's Ctrl-C, or a service manager's
  // SIGTERM to the whole group, reaches this process too while the parent still needs the
  // database to drain and flush. Its `stop` message, or its death (`disconnect`), ends this one.
  process.on('SIGINT', () => {})
  process.on('SIGTERM', () => {})
  process.on('disconnect', stop)
  process.on('message', (m: unknown) => {
    if (m === 'stop') void stop()
  })

  try {
    db = await PGlite.create({ dataDir })
    server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: requestedPort, maxConnections: MAX_CONNECTIONS })
    await server.start()
    const port = Number(server.getServerConn().split(':').pop())
    report({ type: 'ready', port })
  } catch (err) {
    releaseDataDirLock(dataDir)
    fail('EMBEDDED_START_FAILED', `The embedded database in ${dataDir} failed to start: ${messageOf(err)}`)
  }
}

function report(message: EmbeddedMessage): void {
  process.send?.(message)
}

/** Reports why the start failed, then exits once the message has left (an exit right away could drop it). */
function fail(code: Extract<EmbeddedMessage, { type: 'error' }>['code'], message: string): void {
  process.send!({ type: 'error', code, message } satisfies EmbeddedMessage, () => process.exit(1))
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

const dataDir = process.argv[2]
if (!dataDir || !process.send) {
  process.stderr.write('pglite-server-process: started without a data directory or IPC channel; it is launched by Claudescope itself\n')
  process.exit(2)
}
void main(dataDir, Number(process.argv[3] ?? 0))
