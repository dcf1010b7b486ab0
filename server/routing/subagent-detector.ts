import { existsSync, readFileSync, watch, type FSWatcher } from 'node:fs'
import path from 'node:path'
import type { Logger } from '../logger'
import { agentPrompt, matchSubagent, uniformText } from './agent-definition'
import type { SubagentDetector } from './message-router'

export interface SubagentDefinitions {
  detect: SubagentDetector
  /** Agents whose definition file was found, by name, with the file it came from. */
  loaded(): ReadonlyMap<string, string>
  /** Reads every definition again (done by itself when a file in an agents folder changes). */
  reload(): void
  close(): void
}

/** Wait after a change in an agents folder before reading again: editors write a file in several steps. */
const RELOAD_DEBOUNCE_MS = 100

/**
 * The definitions of the routed subagents, read from the first `<name>.md` found in `dirs`, and
 * read again whenever a file in one of those folders changes, so editing an agent takes effect
 * without a restart. A routed agent without a definition is logged and never matches. Folders
 * that do not exist at start are not watched.
 */
export function loadSubagentDefinitions(names: readonly string[], dirs: readonly string[], logger: Logger): SubagentDefinitions {
  let prompts = new Map<string, string>()
  let sources = new Map<string, string>()
  const reload = () => {
    const nextPrompts = new Map<string, string>()
    const nextSources = new Map<string, string>()
    for (const name of names) {
      const file = dirs.map((dir) => path.join(dir, `${name}.md`)).find((candidate) => existsSync(candidate))
      if (file === undefined) {
        logger.warn({ subagent: name, dirs }, 'no definition file for a routed subagent; its requests are not routed')
        continue
      }
      try {
        const prompt = uniformText(agentPrompt(readFileSync(file, 'utf8')))
        if (prompt !== '') {
          nextPrompts.set(name, prompt)
          nextSources.set(name, file)
        }
      } catch (err) {
        logger.warn({ err, subagent: name, file }, 'could not read a subagent definition; its requests are not routed')
      }
    }
    prompts = nextPrompts
    sources = nextSources
  }
  reload()
  let timer: NodeJS.Timeout | null = null
  const watchers: FSWatcher[] = []
  for (const dir of new Set(dirs)) {
    if (!existsSync(dir)) continue
    try {
      const watcher = watch(dir, () => {
        if (timer !== null) clearTimeout(timer)
        timer = setTimeout(() => {
          timer = null
          reload()
        }, RELOAD_DEBOUNCE_MS)
        timer.unref()
      })
      watcher.on('error', (err) => logger.warn({ err, dir }, 'stopped watching a subagents folder'))
      watcher.unref()
      watchers.push(watcher)
    } catch (err) {
      logger.warn({ err, dir }, 'cannot watch a subagents folder; edits there need a restart')
    }
  }
  return {
    detect: (system) => matchSubagent(system, prompts),
    loaded: () => sources,
    reload,
    close() {
      if (timer !== null) clearTimeout(timer)
      for (const watcher of watchers) watcher.close()
    },
  }
}
