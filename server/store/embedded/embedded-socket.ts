import path from 'node:path'

/** The port number in the socket's file name; PostgreSQL clients derive the name from it. */
const SOCKET_PORT = 5432

/** The socket file PostgreSQL clients open for `host=<socketDir>`: `<socketDir>/.s.PGSQL.5432`. */
export function embeddedSocketPath(socketDir: string): string {
  return path.join(socketDir, `.s.PGSQL.${SOCKET_PORT}`)
}

/** A connection URL for the server listening in `socketDir` (pg reads the `host` parameter as a socket directory). */
export function embeddedDatabaseUrl(socketDir: string): string {
  return `postgres://postgres@localhost:${SOCKET_PORT}/postgres?host=${encodeURIComponent(socketDir)}`
}
