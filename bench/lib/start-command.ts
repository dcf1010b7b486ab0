import { readFileSync } from 'node:fs'
import path from 'node:path'

/** The environment and node flags of `npm start` (package.json), split off its `node <entry point>`. */
export interface StartCommand {
  env: Record<string, string>
  nodeArgs: string[]
}

/**
 * How `npm start` runs Claudescope, read from package.json, so the bench measures the process users
 * run (its malloc settings and heap flags included) and cannot drift from it; the bench adds one
 * flag of its own to every process (NO_MEMORY_REDUCER in processes.ts). The script must be
 * `NAME=value … node [--flag …] <entry point>`.
 */
export function npmStartCommand(): StartCommand {
  const manifest = JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { scripts: { start: string } }
  const words = manifest.scripts.start.trim().split(/\s+/)
  const node = words.indexOf('node')
  if (node === -1) throw new Error(`package.json's start script runs no "node": ${manifest.scripts.start}`)
  return { env: environmentOf(words.slice(0, node), "package.json's start script"), nodeArgs: words.slice(node + 1, -1) }
}

/**
 * The environment of a Claudescope the bench starts: `npm start`'s, on a port of its own choosing,
 * forwarding to the bench's upstream, logging its start line (which carries the listening URL) and
 * stopping without a drain grace (nothing is in flight when the bench stops it). `extra` comes last.
 */
export function claudescopeEnvironment(start: StartCommand, where: { dataDir: string; upstreamUrl: string; databaseUrl: string }, extra: Record<string, string> = {}): Record<string, string> {
  return { ...start.env, PORT: '0', DATA_DIR: where.dataDir, ANTHROPIC_FORWARD_URL: where.upstreamUrl, LOG_LEVEL: 'info', DATABASE_URL: where.databaseUrl, DRAIN_GRACE: '0', ...extra }
}

/** `NAME=value` words as an environment; `source` names where they came from when one is not such a pair. */
export function environmentOf(words: readonly string[], source: string): Record<string, string> {
  return Object.fromEntries(
    words.map((word) => {
      if (!/^[A-Z_][A-Z0-9_]*=/.test(word)) throw new Error(`${source}: "${word}" is not NAME=value`)
      const at = word.indexOf('=')
      return [word.slice(0, at), word.slice(at + 1)]
    }),
  )
}
