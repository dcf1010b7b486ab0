import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import type { OutgoingHttpHeaders } from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { CaptureError } from '../../server/capture/capture-error'
import { loadInstallSecret } from '../../server/capture/recording/install-secret'
import { apiKeyFingerprint, createHeaderRedactor, createTextRedactor } from '../../server/capture/recording/redact'
import { compileRedactPattern } from '../../server/capture/recording/redact-patterns'

const FINGERPRINT = /^key:[0-9a-f]{8}$/

const patterns = (...sources: string[]) => sources.map(compileRedactPattern)

describe('text redaction', () => {
  const secret = randomBytes(32)
  const redactor = createTextRedactor(secret, patterns('sk-live-[0-9a-f]{8}', '\\b\\d{4}(?:-\\d{4}){3}\\b'))!
  const redact = (text: string) => redactor.redact(text)

  it('replaces every match of every pattern with a keyed fingerprint, the same secret always the same one', () => {
    const out = redact('{"a":"sk-live-0123abcd","b":"card 1234-5678-9012-3456","c":"sk-live-0123abcd","d":"sk-live-ffffffff"}')
    const fingerprints = out.match(/redacted:[0-9a-f]{8}/g)!
    expect(fingerprints).toHaveLength(4)
    expect(fingerprints[0]).toBe(fingerprints[2])
    expect(new Set(fingerprints).size).toBe(3)
    expect(out).not.toMatch(/sk-live-|1234-5678/)
    expect(JSON.parse(out)).toMatchObject({ a: fingerprints[0], b: `card ${fingerprints[1]}` })
  })

  it('fingerprints differ between installs and leave text without matches untouched', () => {
    const other = createTextRedactor(randomBytes(32), patterns('sk-live-[0-9a-f]{8}'))!
    expect(other.redact('sk-live-0123abcd')).not.toBe(redact('sk-live-0123abcd'))
    const plain = 'nothing secret here'
    expect(redact(plain)).toBe(plain)
  })

  it('runs each pattern on its own, so two patterns may use the same group name', () => {
    const named = createTextRedactor(secret, patterns('(?<k>sk-[a-z]+)', '(?<k>pk-[0-9]+)'))!
    expect(named.redact('a sk-abc b pk-123 c')).toMatch(/^a redacted:[0-9a-f]{8} b redacted:[0-9a-f]{8} c$/)
  })

  it('covers overlapping matches of two patterns with one fingerprint, leaving no piece of either in clear', () => {
    const overlapping = createTextRedactor(secret, patterns('sk-live-[0-9a-f]{4}', '[0-9a-f]{4}-tail'))!
    expect(overlapping.redact('x sk-live-0123-tail y')).toMatch(/^x redacted:[0-9a-f]{8} y$/)
  })

  it('scans in linear time, so a pattern that backtracks catastrophically elsewhere still answers on 50 KB', () => {
    const catastrophic = createTextRedactor(secret, patterns('(a+)+$'))!
    const text = 'a'.repeat(50_000) + 'b'
    expect(catastrophic.redact(text)).toBe(text)
  })

  it('is absent when no pattern is configured, so bodies are stored as forwarded at no cost', () => {
    expect(createTextRedactor(secret, [])).toBeNull()
  })
})

describe('header redaction', () => {
  const redact = createHeaderRedactor(randomBytes(32))

  it('replaces an x-api-key with a stable keyed fingerprint', () => {
    const first = redact({ 'x-api-key': 'sk-ant-api03-first' })
    const again = redact({ 'x-api-key': 'sk-ant-api03-first' })
    expect(first['x-api-key']).toMatch(FINGERPRINT)
    expect(again['x-api-key']).toBe(first['x-api-key'])
  })

  it('gives different keys different fingerprints', () => {
    const a = redact({ 'x-api-key': 'sk-ant-api03-first' })['x-api-key']
    const b = redact({ 'x-api-key': 'sk-ant-api03-second' })['x-api-key']
    expect(a).not.toBe(b)
  })

  it('fingerprints a key the same whether it came as x-api-key or as a Bearer token', () => {
    const asApiKey = redact({ 'x-api-key': 'sk-ant-oat01-token' })
    const asBearer = redact({ authorization: 'Bearer sk-ant-oat01-token' })
    expect(asBearer.authorization).toBe(asApiKey['x-api-key'])
    expect(apiKeyFingerprint(asBearer)).toBe(apiKeyFingerprint(asApiKey))
  })

  it('gives every key the fingerprint a fresh redactor gives it, however many keys came before', () => {
    const secret = randomBytes(32)
    const longLived = createHeaderRedactor(secret)
    const keys = Array.from({ length: 200 }, (_, i) => `sk-ant-api03-key-${i}`)
    const first = keys.map((key) => longLived({ 'x-api-key': key })['x-api-key'])
    expect(new Set(first).size).toBe(keys.length)
    for (const [i, key] of keys.entries()) {
      expect(longLived({ authorization: `Bearer ${key}` }).authorization, key).toBe(first[i])
      expect(createHeaderRedactor(secret)({ 'x-api-key': key })['x-api-key'], key).toBe(first[i])
    }
  })

  it('fingerprints differ between installs with different secrets', () => {
    const other = createHeaderRedactor(randomBytes(32))
    expect(other({ 'x-api-key': 'k' })['x-api-key']).not.toBe(redact({ 'x-api-key': 'k' })['x-api-key'])
  })

  it('hides cookies, set-cookie values and the credential headers of known providers', () => {
    const out = redact({
      cookie: 'session=abc',
      'set-cookie': ['a=1', 'b=2'],
      'proxy-authorization': 'Basic dXNlcjpwYXNz',
      'X-Claudescope-Token': 'tok',
      'x-goog-api-key': 'g',
      'api-key': 'azure',
    })
    // Every value is a fingerprint and nothing else (the hex of a fingerprint may spell 'abc' by chance).
    expect(Object.keys(out).sort()).toEqual(['api-key', 'cookie', 'proxy-authorization', 'set-cookie', 'x-claudescope-token', 'x-goog-api-key'])
    expect(out['set-cookie']).toHaveLength(2)
    for (const value of [out.cookie, ...(out['set-cookie'] as string[]), out['proxy-authorization'], out['x-claudescope-token'], out['x-goog-api-key'], out['api-key']]) {
      expect(value).toMatch(FINGERPRINT)
    }
  })

  it('keeps rate-limit headers verbatim although their names contain token or key-like words', () => {
    const headers = {
      'anthropic-ratelimit-tokens-remaining': '2397000',
      'anthropic-ratelimit-input-tokens-limit': '2000000',
      'anthropic-ratelimit-output-tokens-reset': '2026-01-01T00:00:00Z',
      'anthropic-ratelimit-unified-5h-utilization': '0.42',
      'x-monkey-business': 'yes',
    }
    expect(redact(headers)).toEqual(headers)
  })

  it('fingerprints header names the install adds, whatever their case, besides the built-in ones', () => {
    const withExtra = createHeaderRedactor(randomBytes(32), ['X-Internal-Secret'])
    const out = withExtra({ 'x-internal-secret': 's3cr3t', 'X-INTERNAL-SECRET-2': 'kept', 'x-api-key': 'k' })
    expect(out['x-internal-secret']).toMatch(FINGERPRINT)
    expect(out['x-api-key']).toMatch(FINGERPRINT)
    expect(out['x-internal-secret-2']).toBe('kept')
  })

  it('keeps session ids and ordinary headers readable, with lower-case names', () => {
    const headers: OutgoingHttpHeaders = {
      'x-claude-code-session-id': '8b0f5f4e-1c2d-4e5f-9a0b-1c2d3e4f5a6b',
      'Anthropic-Version': '2023-06-01',
      'anthropic-beta': 'oauth-2025-04-20',
      'content-length': 42,
      'user-agent': 'claude-cli/2.1.3 (external, cli)',
    }
    expect(redact(headers)).toEqual({
      'x-claude-code-session-id': '8b0f5f4e-1c2d-4e5f-9a0b-1c2d3e4f5a6b',
      'anthropic-version': '2023-06-01',
      'anthropic-beta': 'oauth-2025-04-20',
      'content-length': '42',
      'user-agent': 'claude-cli/2.1.3 (external, cli)',
    })
  })

  it('reports no key fingerprint for a request without credentials', () => {
    expect(apiKeyFingerprint(redact({ 'user-agent': 'curl' }))).toBeNull()
  })
})

describe('install secret', () => {
  const withDataDir = async (use: (dir: string) => Promise<void>) => {
    const base = await mkdtemp(path.join(os.tmpdir(), 'claudescope-secret-'))
    try {
      await use(path.join(base, 'nested', 'data'))
    } finally {
      await rm(base, { recursive: true, force: true })
    }
  }

  it('creates 32 random bytes readable only by the owner, directory included, and reuses them', async () => {
    await withDataDir(async (dir) => {
      const created = loadInstallSecret(dir)
      expect(created).toHaveLength(32)
      const file = path.join(dir, 'install-secret')
      expect((await stat(file)).mode & 0o777).toBe(0o600)
      expect(loadInstallSecret(dir).equals(created)).toBe(true)
      expect((await readFile(file)).equals(created)).toBe(true)
    })
  })

  it('refuses a secret file of the wrong length with INSTALL_SECRET_INVALID', async () => {
    await withDataDir(async (dir) => {
      loadInstallSecret(dir)
      await writeFile(path.join(dir, 'install-secret'), 'short')
      expect(() => loadInstallSecret(dir)).toThrow(expect.objectContaining({ code: 'INSTALL_SECRET_INVALID' }) as CaptureError)
    })
  })
})
