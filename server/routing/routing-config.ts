/**
 * The routing file named by CLAUDESCOPE_CONFIG: which OpenAI-compatible providers exist, and which
 * requests go to them instead of Anthropic. Validated once at start; a file that does not read,
 * parse or validate stops the start with every problem named (RoutingConfigError).
 *
 * ```yaml
 * providers:
 *   openai:
 *     base_url: https://api.openai.com/v1     # path kept: requests go to <base_url>/chat/completions
 *     api_key: sk-...                          # sent as Authorization: Bearer; the client's credentials never are
 * routes:
 *   models:                                    # first match wins; glob on the requested model
 *     - match: "gpt-*"
 *       provider: openai
 *       model: gpt-4.1                         # optional: sent instead of the requested model
 *   subagents:                                 # Claude Code subagent name -> provider and model
 *     code-reviewer: { provider: openai, model: gpt-4.1-mini }
 * agents_dirs: [./.claude/agents, ~/.claude/agents]
 * ```
 */
import { readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'

/** One OpenAI-compatible server. */
export interface ProviderConfig {
  /** The name given in the file; shown on records as their provider. */
  name: string
  /** Base URL with its path, without a trailing slash; requests go to `<baseUrl>/chat/completions`. */
  baseUrl: string
  /** Sent as `Authorization: Bearer`; the only credential the provider ever gets. */
  apiKey: string
}

/** A model-name route: requests whose model matches `match` go to `provider`, with `model` when given. */
export interface ModelRoute {
  /** The glob as written (`*` any run of characters, `?` one). */
  match: string
  isMatch(model: string): boolean
  provider: ProviderConfig
  /** Sent instead of the requested model; null sends the requested one. */
  model: string | null
}

/** A subagent route: the subagent's requests go to `provider` with `model`. */
export interface SubagentRoute {
  name: string
  provider: ProviderConfig
  model: string
}

export interface RoutingConfig {
  providers: ReadonlyMap<string, ProviderConfig>
  /** In file order: the first that matches wins. */
  models: readonly ModelRoute[]
  subagents: readonly SubagentRoute[]
  /** Absolute folders where `<name>.md` subagent definitions are looked up, first found wins. */
  agentsDirs: readonly string[]
}

/** The routing file could not be used; the message names the file and each problem. */
export class RoutingConfigError extends Error {
  readonly code = 'ROUTING_CONFIG_INVALID'
}

export const DEFAULT_AGENTS_DIRS = ['./.claude/agents', '~/.claude/agents']

const providerSchema = z.strictObject({
  base_url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://api.openai.com/v1' }),
  api_key: z.string({ error: 'must be the API key as a string' }).min(1, 'must not be empty'),
})

/** A section written with nothing under it (`routes:`) reads as null in YAML: the same as leaving it out. */
const section = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === null ? undefined : value), schema)

const fileSchema = z.strictObject({
  providers: section(z.record(z.string().min(1), providerSchema).default({})),
  routes: section(
    z
      .strictObject({
        models: section(
          z
            .array(z.strictObject({ match: z.string().min(1, 'must be a glob such as "gpt-*"'), provider: z.string().min(1), model: z.string().min(1).optional() }))
            .default([]),
        ),
        subagents: section(z.record(z.string().min(1), z.strictObject({ provider: z.string().min(1), model: z.string().min(1) })).default({})),
      })
      .default({ models: [], subagents: {} }),
  ),
  agents_dirs: section(z.array(z.string().min(1)).default(DEFAULT_AGENTS_DIRS)),
})

/** Reads and validates the file at `file`; throws RoutingConfigError. Relative agents_dirs are resolved against `cwd`. */
export function loadRoutingConfig(file: string, cwd = process.cwd()): RoutingConfig {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (cause) {
    throw new RoutingConfigError(`CLAUDESCOPE_CONFIG: cannot read ${file}: ${(cause as Error).message}`, { cause })
  }
  return parseRoutingConfig(text, file, cwd)
}

/** Validates the text of a routing file; `source` names it in errors. */
export function parseRoutingConfig(text: string, source: string, cwd = process.cwd()): RoutingConfig {
  let raw: unknown
  try {
    raw = parseYaml(text) ?? {}
  } catch (cause) {
    throw new RoutingConfigError(`CLAUDESCOPE_CONFIG: ${source} is not valid YAML: ${(cause as Error).message}`, { cause })
  }
  const parsed = fileSchema.safeParse(raw)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`)
    throw invalid(source, problems)
  }
  const file = parsed.data
  const providers = new Map<string, ProviderConfig>()
  for (const [name, provider] of Object.entries(file.providers)) {
    providers.set(name, { name, baseUrl: provider.base_url.replace(/\/+$/, ''), apiKey: provider.api_key })
  }
  const problems: string[] = []
  const providerNamed = (name: string, at: string): ProviderConfig => {
    const provider = providers.get(name)
    if (provider === undefined) problems.push(`${at}.provider: no provider named ${JSON.stringify(name)} (providers: ${[...providers.keys()].join(', ') || 'none'})`)
    return provider!
  }
  const models = file.routes.models.map((route, i) => ({
    match: route.match,
    isMatch: globMatcher(route.match),
    provider: providerNamed(route.provider, `routes.models.${i}`),
    model: route.model ?? null,
  }))
  const subagents = Object.entries(file.routes.subagents).map(([name, route]) => ({
    name,
    provider: providerNamed(route.provider, `routes.subagents.${name}`),
    model: route.model,
  }))
  if (problems.length > 0) throw invalid(source, problems)
  return { providers, models, subagents, agentsDirs: file.agents_dirs.map((dir) => resolveDir(dir, cwd)) }
}

function invalid(source: string, problems: string[]): RoutingConfigError {
  return new RoutingConfigError(`CLAUDESCOPE_CONFIG: ${source} is invalid:\n  - ${problems.join('\n  - ')}`)
}

/** A glob as a whole-name test: `*` any run of characters, `?` one, everything else literal. */
export function globMatcher(glob: string): (name: string) => boolean {
  const source = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')
  const pattern = new RegExp(`^${source}$`, 's')
  return (name) => pattern.test(name)
}

/** `~` is the home folder; relative folders are relative to where the server starts. */
function resolveDir(dir: string, cwd: string): string {
  if (dir === '~' || dir.startsWith('~/')) return path.join(os.homedir(), dir.slice(1))
  return path.resolve(cwd, dir)
}
