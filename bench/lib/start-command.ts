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
  if (node === -1) throw new Error(`package.json's start script runs no "node": ${manifest.scripts.start}`)
  return { env: environmentOf(words.slice(0, node), "package.json's start script"), nodeArgs: words.slice(node + 1, -1) }
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
