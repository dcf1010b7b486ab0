import { Client } from 'pg'

/** A fresh PostgreSQL database for one target of a bench run, dropped after it. */
export interface BenchDatabase {
  url: string
  drop(): Promise<void>
}

/** Creates the run's database on the server at `adminUrl`; null (with a note on stderr) when it is unreachable. */
export async function createBenchDatabase(adminUrl: string): Promise<BenchDatabase | null> {
  const admin = new Client({ connectionString: adminUrl })
  try {
    await admin.connect()
  } catch {
    process.stderr.write(`PostgreSQL at ${adminUrl} unreachable: skipping the PostgreSQL target\n`)
    return null
  }
  const name = `claudescope_bench_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      const c = new Client({ connectionString: adminUrl })
      await c.connect()
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await c.end()
    },
  }
}

/**
 * Writes out every dirty buffer of the server at `adminUrl` (a superuser's). The Claudescopes of a
 * run store into databases of one server and share its buffers: without a checkpoint between
 * their turns, one's backends write out the dirty pages the one before left, its commits are
 * slower and more of its records go through its spool.
 */
export async function checkpoint(adminUrl: string): Promise<void> {
  const admin = new Client({ connectionString: adminUrl })
  await admin.connect()
  try {
    await admin.query('CHECKPOINT')
  } finally {
    await admin.end()
  }
}
