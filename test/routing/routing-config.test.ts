import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../server/config'
import { createRouting } from '../../server/routing/message-router'
import { globMatcher, parseRoutingConfig, RoutingConfigError } from '../../server/routing/routing-config'

const PROVIDERS = ['providers:', '  openai:', '    base_url: https://api.openai.com/v1/', '    api_key: sk-test', '  local:', '    base_url: http://127.0.0.1:8080/api/v1', '    api_key: none']

function parse(lines: string[]) {
  return parseRoutingConfig(lines.join('\n'), 'claudescope.yaml', '/work/project')
}

function problemsOf(lines: string[]): string {
  try {
    parse(lines)
  } catch (err) {
    if (err instanceof RoutingConfigError) return err.message
    throw err
  }
  throw new Error('expected the file to be refused')
}

const body = (object: object) => Buffer.from(JSON.stringify(object))

describe('parseRoutingConfig', () => {
  it('reads providers with their base path kept (trailing slash dropped), model routes in order and subagent routes', () => {
    const config = parse([...PROVIDERS, 'routes:', '  models:', '    - match: "gpt-*"', '      provider: openai', '    - match: "claude-haiku-*"', '      provider: local', '      model: qwen3', '  subagents:', '    code-reviewer:', '      provider: openai', '      model: gpt-4.1-mini'])
    expect(config.providers.get('openai')).toEqual({ name: 'openai', baseUrl: 'https://api.openai.com/v1', apiKey: 'sk-test' })
    expect(config.providers.get('local')!.baseUrl).toBe('http://127.0.0.1:8080/api/v1')
    expect(config.models.map((route) => [route.match, route.provider.name, route.model])).toEqual([['gpt-*', 'openai', null], ['claude-haiku-*', 'local', 'qwen3']])
    expect(config.subagents).toEqual([{ name: 'code-reviewer', provider: config.providers.get('openai'), model: 'gpt-4.1-mini' }])
  })

  it('looks for agent definitions in ./.claude/agents and ~/.claude/agents unless told otherwise', () => {
    const config = parse(PROVIDERS)
    expect(config.agentsDirs[0]).toBe('/work/project/.claude/agents')
    expect(config.agentsDirs[1]).toMatch(/\/\.claude\/agents$/)
    expect(parse([...PROVIDERS, 'agents_dirs: [agents]']).agentsDirs).toEqual(['/work/project/agents'])
  })

  it('accepts an empty file and empty sections as routing nothing', () => {
    expect(parse(['']).models).toEqual([])
    expect(parse(['providers:', 'routes:', '  models:', '  subagents:']).subagents).toEqual([])
  })

  it('refuses a route naming a provider the file does not define, and says which providers exist', () => {
    expect(problemsOf([...PROVIDERS, 'routes:', '  models:', '    - match: "gpt-*"', '      provider: azure'])).toContain(
      'routes.models.0.provider: no provider named "azure" (providers: openai, local)',
    )
  })

  it('refuses a provider without a URL or key, and unknown keys, naming each field', () => {
    const message = problemsOf(['providers:', '  openai:', '    base_url: not a url', '  other:', '    base_url: https://x.example', '    api_key: k', '    apikey: typo'])
    expect(message).toContain('claudescope.yaml is invalid')
    expect(message).toContain('providers.openai.base_url')
    expect(message).toContain('providers.openai.api_key')
    expect(message).toContain('apikey')
  })

  it('refuses text that is not YAML', () => {
    expect(problemsOf(['providers: [unclosed'])).toContain('is not valid YAML')
  })
})

describe('globMatcher', () => {
  it.each([
    ['gpt-*', 'gpt-4.1', true],
    ['gpt-*', 'chatgpt-4o', false],
    ['o?-mini', 'o3-mini', true],
    ['o?-mini', 'o3-mini-high', false],
    ['claude-3.5-*', 'claude-3x5-sonnet', false],
    ['*', 'anything', true],
  ])('%s against %s is %s', (glob, name, expected) => {
    expect(globMatcher(glob)(name)).toBe(expected)
  })
})

describe('createRouting', () => {
  const config = parse([...PROVIDERS, 'routes:', '  models:', '    - match: "gpt-*"', '      provider: openai', '    - match: "gpt-4*"', '      provider: local', '    - match: "claude-haiku-*"', '      provider: local', '      model: qwen3', '  subagents:', '    code-reviewer: { provider: local, model: llama }'])

  it('routes by the first model route that matches, sending the requested model unless the route names one', () => {
    const routing = createRouting(config)
    expect(routing.routeMessages(body({ model: 'gpt-4.1', messages: [] }))).toEqual({ provider: config.providers.get('openai'), model: 'gpt-4.1' })
    expect(routing.routeMessages(body({ model: 'claude-haiku-4-5', messages: [] }))).toEqual({ provider: config.providers.get('local'), model: 'qwen3' })
  })

  it('leaves unmatched models, bodies without a model and bodies that are not JSON to Anthropic', () => {
    const routing = createRouting(config)
    expect(routing.routeMessages(body({ model: 'claude-sonnet-4-5', messages: [] }))).toBeNull()
    expect(routing.routeMessages(body({ messages: [{ role: 'user', content: 'model gpt-4' }] }))).toBeNull()
    expect(routing.routeMessages(Buffer.from('{"model":"gpt-4.1"'))).toBeNull()
  })

  it('routes a detected subagent before any model route', () => {
    const routing = createRouting(config, (system) => (system === 'review prompt' ? 'code-reviewer' : null))
    expect(routing.routeMessages(body({ model: 'gpt-4.1', system: 'review prompt', messages: [] }))).toEqual({ provider: config.providers.get('local'), model: 'llama' })
    expect(routing.routeMessages(body({ model: 'gpt-4.1', system: 'other', messages: [] }))!.provider.name).toBe('openai')
  })

  it('serves chat completions with the provider named openai, and with none without one', () => {
    expect(createRouting(config).chatCompletions?.name).toBe('openai')
    expect(createRouting(parse(['providers:', '  local:', '    base_url: http://127.0.0.1:1/v1', '    api_key: k'])).chatCompletions).toBeNull()
  })
})

describe('CLAUDESCOPE_CONFIG at start', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'claudescope-config-'))
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('stops the start naming the file and the reason when the file is invalid or missing', async () => {
    const file = path.join(dir, 'claudescope.yaml')
    await writeFile(file, 'providers:\n  openai:\n    base_url: https://api.openai.com/v1\nroutes:\n  models:\n    - match: "gpt-*"\n      provider: openai\n')
    expect(() => loadConfig({ CLAUDESCOPE_CONFIG: file })).toThrow(ConfigError)
    expect(() => loadConfig({ CLAUDESCOPE_CONFIG: file })).toThrow(/claudescope\.yaml is invalid:[\s\S]*providers\.openai\.api_key/)
    expect(() => loadConfig({ CLAUDESCOPE_CONFIG: path.join(dir, 'absent.yaml') })).toThrow(/cannot read/)
  })

  it('loads a valid file and routes nothing when unset', async () => {
    const file = path.join(dir, 'claudescope.yaml')
    await writeFile(file, 'providers:\n  openai:\n    base_url: https://api.openai.com/v1\n    api_key: sk-x\n')
    expect(loadConfig({ CLAUDESCOPE_CONFIG: file }).routing?.providers.has('openai')).toBe(true)
    expect(loadConfig({}).routing).toBeNull()
  })
})
