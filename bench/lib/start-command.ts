import { readFileSync } from 'node:fs'
import path from 'node:path'

/** The environment and node flags of `npm start` (package.json), split off its `node <entry point>`. */
export interface StartCommand {
  env: Record<string, string>
  nodeArgs: string[]
}

/**
 * How `npm start` runs Claudescope, read from package.json, so the bench measures the process users
 * run (its malloc settings and heap flags included) and cannot drift from it. The script must be
 * `NAME=value … node [--flag …] <entry point>`.
 */
export function npmStartCommand(): StartCommand {
  const manifest = JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { scripts: { start: string } }
  const words = manifest.scripts.start.trim().split(/\s+/)
  const node = words.indexOf('node')
  const assignments = words.slice(0, node)
  if (node === -1 || assignments.some((word) => !/^[A-Z_][A-Z0-9_]*=/.test(word))) {
    throw new Error(`package.json's start script is not "NAME=value … node [flags] <entry point>": ${manifest.scripts.start}`)
  }
  const env = Object.fromEntries(assignments.map((word) => [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)]))
  return { env, nodeArgs: words.slice(node + 1, -1) }
}
