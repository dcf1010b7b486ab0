import { describe, expect, it } from 'vitest'
import { ConfigError, helpText, loadConfig, OPTIONS } from '../server/config'

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env)
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  return []
}

describe('configuration', () => {
  it('starts from documented defaults when nothing is set', () => {
    expect(loadConfig({})).toMatchObject({ port: 3001, host: '127.0.0.1', forwardUrl: 'https://api.anthropic.com', captureQueueMaxBytes: 64 * 1024 * 1024, captureBatchMaxBytes: undefined, redactPatterns: [] })
  })

  it('names every invalid variable at once, with what it expected and what it got', () => {
    const problems = problemsOf({ PORT: 'eighty', MAX_BODY_BYTES: '-1', HOST: '0.0.0.0' })
    expect(problems).toEqual([expect.stringMatching(/^PORT: .*\(got "eighty"\)$/), expect.stringMatching(/^MAX_BODY_BYTES: must be positive \(got "-1"\)$/)])
  })

  it('refuses a non-loopback HOST without DASHBOARD_TOKEN', () => {
    expect(problemsOf({ HOST: '0.0.0.0' })).toEqual([expect.stringContaining('DASHBOARD_TOKEN: required when HOST is not loopback')])
    expect(problemsOf({ HOST: '0.0.0.0', DASHBOARD_TOKEN: 't' })).toEqual([])
  })

  it('reads REDACT_PATTERNS as comma-separated regular expressions, an escaped comma staying inside one', () => {
    const { redactPatterns } = loadConfig({ REDACT_PATTERNS: 'sk-live-[0-9a-f]+,a\\,b' })
    expect(redactPatterns.map((p) => p.source)).toEqual(['sk-live-[0-9a-f]+', 'a\\,b'])
    expect('x a,b y'.replace(redactPatterns[1]!, '_')).toBe('x _ y')
  })

  it('refuses a REDACT_PATTERNS entry that is not a regular expression, or that matches the empty string', () => {
    expect(problemsOf({ REDACT_PATTERNS: 'ok,a(' })).toEqual([expect.stringMatching(/^REDACT_PATTERNS: "a\(" is not a regular expression/)])
    expect(problemsOf({ REDACT_PATTERNS: 'x*' })).toEqual([expect.stringMatching(/^REDACT_PATTERNS: "x\*" matches the empty string/)])
  })

  it('reads REDACT_HEADERS as comma-separated header names, trimmed and lower-cased, and refuses what is not a header name', () => {
    expect(loadConfig({ REDACT_HEADERS: ' X-Internal-Secret , x-other,' }).redactHeaders).toEqual(['x-internal-secret', 'x-other'])
    expect(loadConfig({}).redactHeaders).toEqual([])
    expect(problemsOf({ REDACT_HEADERS: 'ok,bad name' })).toEqual([expect.stringMatching(/^REDACT_HEADERS: "bad name" is not an HTTP header name/)])
  })

  it('lists every option in --help with its default', () => {
    const help = helpText()
    for (const option of Object.values(OPTIONS)) expect(help).toContain(option.env)
    expect(help).toContain('[default: 67108864 (64 MiB)]')
  })
})
