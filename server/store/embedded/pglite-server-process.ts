/**
 * The embedded database as its own process: PGlite (WASM PostgreSQL) behind a PostgreSQL wire
 * socket. PGlite is single-threaded and runs every query on its event loop, so it lives here and
 * never stalls the proxy's streams. The socket is a Unix socket in a directory only this user can
 * enter: the server has no authentication, so no TCP port (which any local user could reach, or
 * take first while the process restarts) is ever opened. Started by `startEmbeddedPostgres`, which
 * it tells over IPC when it is ready; it exits when told to stop or when its parent goes away.
 *
 * Two modes: `serve <dataDir> <socketDir>` as above, and `initialise <dataDir>`, which creates the
 * database and exits. PGlite runs initdb in a second PGlite instance and copies the result over,
 * and the process keeps most of what that took: about 800 MB of RSS after creating a database,
 * against 330 MB after opening one. So a data dir without a database is initialised in a process
 * of its own before the serving one starts.
 */
import { PGlite } from '@electric-sql/pglite'
import { rmSync } from 'node:fs'
import os from 'node:os'
import { acquireExclusiveLock, describeHolder, type ExclusiveLock } from '../../files/exclusive-lock'
import { ensurePrivateDir, makeTreePrivate } from '../../files/private-files'
import { embeddedSocketPath } from './embedded-socket'
import { EMBEDDED_EXTENSIONS, embeddedStartParams } from './pglite-settings'
import { PgliteWireServer } from './pglite-wire-server'

export type EmbeddedMessage = { type: 'ready' } | { type: 'error'; code: 'EMBEDDED_DATA_DIR_LOCKED' | 'EMBEDDED_START_FAILED'; message: string }

/** PGlite serves connections one statement at a time; more than the app's pool only queues longer. */
const MAX_CONNECTIONS = 16

/**
 * The serving process's niceness. Capture's writes can wait (the queue and the spool hold them)
 * and the dashboard's reads can be a moment slower; the proxy's forwarding, Claude Code and the
 * rest of the developer's work cannot. So while the CPU is contended the database gives way to
 * them, and while it is not the niceness changes nothing.
 */
const SERVING_NICENESS = os.constants.priority.PRIORITY_BELOW_NORMAL

/**
 * Serves the database in `socketDir` until stopped, reporting `ready` once it accepts connections;
 * or, without `socketDir`, opens it (which creates it), closes it and exits with code 0. Failures
 * are reported as an `error` message before exiting with code 1. `socketDir` is private to this
 * user and the same across restarts, so open pools reconnect.
 */
async function main(dataDir: string, socketDir: string | undefined): Promise<void> {
  // Everything PGlite writes (it uses the process umask) is readable by this user only.
  process.umask(0o077)
  try {
    ensurePrivateDir(dataDir)
    makeTreePrivate(dataDir)
  } catch (err) {
    return fail('EMBEDDED_START_FAILED', `Cannot create the embedded database directory ${dataDir}: ${messageOf(err)}`)
  }
  // The lock sits beside the data dir, not in it: PGlite owns the directory's contents.
  const attempt = acquireExclusiveLock(`${dataDir}.lock`, { onLost })
  if (!attempt.acquired) {
    return fail('EMBEDDED_DATA_DIR_LOCKED', `Another Claudescope (${describeHolder(attempt.holder)}) is using the embedded database in ${dataDir}. Stop it, or set DATA_DIR to another directory.`)
  }
  const lock: ExclusiveLock = attempt.lock
  let db: PGlite | undefined
  let server: PgliteWireServer | undefined
  let stopping: Promise<void> | undefined
  const stop = () =>
    (stopping ??= (async () => {
      try {
        await server?.stop()
        await db?.close()
        makeTreePrivate(dataDir)
      } finally {
        lock.release()
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
    db = await PGlite.create({ dataDir, startParams: embeddedStartParams(), extensions: EMBEDDED_EXTENSIONS })
    if (socketDir === undefined) {
      await db.close()
      makeTreePrivate(dataDir)
      lock.release()
      process.exit(0)
    }
    const socketPath = embeddedSocketPath(socketDir)
    // A killed predecessor leaves its socket file behind; the lock proves it is gone.
    rmSync(socketPath, { force: true })
    server = new PgliteWireServer({ db, path: socketPath, maxConnections: MAX_CONNECTIONS })
    await server.start()
    givePriorityAway()
    // PGlite's own file layer creates some files (pg_internal.init, statistics) 0644 whatever the
    // process umask; the 0700 directory already keeps others out, and this takes the bits off.
    makeTreePrivate(dataDir)
    report({ type: 'ready' })
  } catch (err) {
    lock.release()
    fail('EMBEDDED_START_FAILED', `The embedded database in ${dataDir} failed to start: ${messageOf(err)}`)
  }
}

/**
 * Lowers this process's priority to SERVING_NICENESS. On Linux a niceness belongs to a thread:
 * this one runs every query. A system that refuses leaves it as it is.
 */
function givePriorityAway(): void {
  try {
    os.setPriority(SERVING_NICENESS)
  } catch (err) {
    process.stderr.write(`pglite-server-process: could not lower the database's priority (${messageOf(err)}); it keeps the proxy's\n`)
  }
}

/** Another process took the data dir over (this one looked dead to it): two PGlites would corrupt it, so this one ends at once. */
function onLost(): void {
  process.stderr.write('pglite-server-process: another process took over the embedded database directory; exiting\n')
  process.exit(1)
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

const [mode, dataDir, socketDir] = process.argv.slice(2)
if (!dataDir || (mode === 'serve') !== (socketDir !== undefined) || (mode !== 'serve' && mode !== 'initialise') || !process.send) {
  process.stderr.write('pglite-server-process: expects `serve <dataDir> <socketDir>` or `initialise <dataDir>` and an IPC channel; it is launched by Claudescope itself\n')
  process.exit(2)
}
void main(dataDir, socketDir)
