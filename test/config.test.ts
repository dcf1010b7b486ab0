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
    expect(loadConfig({})).toMatchObject({ port: 3001, host: '127.0.0.1', forwardUrl: 'https://api.anthropic.com', captureQueueMaxBytes: 8 * 1024 * 1024, captureBatchMaxBytes: 2 * 1024 * 1024, redactPatterns: [] })
  })

  it('names every invalid variable at once, with what it expected and what it got', () => {
    const problems = problemsOf({ PORT: 'eighty', MAX_BODY_BYTES: '-1', HOST: '0.0.0.0' })
    expect(problems).toEqual([expect.stringMatching(/^PORT: .*\(got "eighty"\)$/), expect.stringMatching(/^MAX_BODY_BYTES: must be positive \(got "-1"\)$/)])
  })

  it('refuses a non-loopback HOST without DASHBOARD_TOKEN', () => {
    expect(problemsOf({ HOST: '0.0.0.0' })).toEqual([expect.stringContaining('DASHBOARD_TOKEN: required when HOST is not loopback')])
    expect(problemsOf({ HOST: '0.0.0.0', DASHBOARD_TOKEN: 't' })).toEqual([])
  })

  it('reads REDACT_PATTERNS as comma-separated RE2 expressions, an escaped comma staying inside one', () => {
    const { redactPatterns } = loadConfig({ REDACT_PATTERNS: 'sk-live-[0-9a-f]+,a\\,b' })
    expect(redactPatterns.map((p) => p.pattern())).toEqual(['sk-live-[0-9a-f]+', 'a\\,b'])
    expect(redactPatterns[1]!.matcher('x a,b y').replaceAll('_')).toBe('x _ y')
  })

  it('accepts two REDACT_PATTERNS entries that use the same group name, each pattern standing alone', () => {
    expect(loadConfig({ REDACT_PATTERNS: '(?<k>sk-[a-z]+),(?<k>pk-[0-9]+)' }).redactPatterns).toHaveLength(2)
  })

  it('refuses a REDACT_PATTERNS entry that is not a regular expression, or that matches the empty string', () => {
    expect(problemsOf({ REDACT_PATTERNS: 'ok,a(' })).toEqual([expect.stringMatching(/^REDACT_PATTERNS: "a\(" is not a valid RE2 regular expression/)])
    expect(problemsOf({ REDACT_PATTERNS: 'x*' })).toEqual([expect.stringMatching(/^REDACT_PATTERNS: "x\*" matches the empty string/)])
  })

  it('refuses a REDACT_PATTERNS entry with a back reference, saying RE2 has none', () => {
    expect(problemsOf({ REDACT_PATTERNS: '(x)\\1' })).toEqual([expect.stringMatching(/^REDACT_PATTERNS: "\(x\)\\\\1" is not a valid RE2 regular expression \(back references .* are not supported/)])
  })

  it('reads ALLOWED_ORIGINS as comma-separated origins and refuses an entry that is more or less than an origin', () => {
    expect(loadConfig({ ALLOWED_ORIGINS: 'https://app.example, http://localhost:5173' }).allowedOrigins).toEqual(['https://app.example', 'http://localhost:5173'])
    expect(loadConfig({}).allowedOrigins).toEqual([])
    for (const entry of ['https://app.example/', 'https://app.example/path', 'app.example', '*', 'null', 'HTTPS://APP.EXAMPLE']) {
      expect(problemsOf({ ALLOWED_ORIGINS: entry }), entry).toEqual([expect.stringMatching(/^ALLOWED_ORIGINS: .* is not an origin/)])
    }
  })

  it('bounds receiving and connections by default: REQUEST_RECEIVE_TIMEOUT 60 s, MAX_CONNECTIONS 1024', () => {
    expect(loadConfig({})).toMatchObject({ requestReceiveTimeoutS: 60, maxConnections: 1024 })
    expect(problemsOf({ MAX_CONNECTIONS: '0', REQUEST_RECEIVE_TIMEOUT: '-1' })).toHaveLength(2)
  })

  it('reads REDACT_HEADERS as comma-separated header names, trimmed and lower-cased, and refuses what is not a header name', () => {
    expect(loadConfig({ REDACT_HEADERS: ' X-Internal-Secret , x-other,' }).redactHeaders).toEqual(['x-internal-secret', 'x-other'])
    expect(loadConfig({}).redactHeaders).toEqual([])
    expect(problemsOf({ REDACT_HEADERS: 'ok,bad name' })).toEqual([expect.stringMatching(/^REDACT_HEADERS: "bad name" is not an HTTP header name/)])
  })

  it('keeps everything unless RETENTION_DAYS is set, and reads it as a whole number of days from 1', () => {
    expect(loadConfig({}).retentionDays).toBeUndefined()
    expect(loadConfig({ RETENTION_DAYS: '30' }).retentionDays).toBe(30)
    for (const value of ['0', '-3', '1.5', 'thirty', '36501']) {
      expect(problemsOf({ RETENTION_DAYS: value }), value).toEqual([expect.stringMatching(new RegExp(`^RETENTION_DAYS: must be a whole number of days from 1 to 36500 \\(got "${value}"\\)$`))])
    }
  })

  it('lists every option in --help with its default', () => {
    const help = helpText()
    for (const option of Object.values(OPTIONS)) expect(help).toContain(option.env)
    expect(help).toContain('[default: 67108864 (64 MiB)]')
  })
})
