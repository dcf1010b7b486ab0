import { execFile } from 'node:child_process'
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const root = path.resolve(import.meta.dirname, '..')
const cli = path.join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs')

/** Runs dependency-cruiser with the project's rules (.dependency-cruiser.cjs) over `dirs`, from `cwd`. */
async function cruise(cwd: string, dirs: string[]): Promise<{ ok: boolean; output: string }> {
  const args = [cli, ...dirs, '--config', path.join(root, '.dependency-cruiser.cjs'), '--output-type', 'err']
  try {
    const { stdout } = await promisify(execFile)(process.execPath, args, { cwd })
    return { ok: true, output: stdout }
  } catch (err) {
    const failure = err as { stdout?: string; stderr?: string }
    return { ok: false, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` }
  }
}

describe('layering', () => {
  it('holds across server/ and client/: no rule of .dependency-cruiser.cjs is broken and there are no cycles', async () => {
    const result = await cruise(root, ['server', 'client/src'])
    expect(result.ok, result.output).toBe(true)
  })

  it('names the broken rule when the proxy imports capture, capture imports the proxy beyond its observer, or a module imports itself in a cycle', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'claudescope-layering-'))
    try {
      await cp(path.join(root, 'tsconfig.json'), path.join(dir, 'tsconfig.json'))
      for (const folder of ['server/proxy', 'server/capture']) await mkdir(path.join(dir, folder), { recursive: true })
      await writeFile(path.join(dir, 'server/proxy/forward.ts'), "import { record } from '../capture/recorder'\nexport const forward = () => record()\n")
      await writeFile(path.join(dir, 'server/capture/recorder.ts'), "import { forward } from '../proxy/forward'\nexport const record = () => typeof forward\n")
      const result = await cruise(dir, ['server'])
      expect(result.ok).toBe(false)
      expect(result.output).toContain('proxy-forwards-bytes-only')
      expect(result.output).toContain('capture-sees-the-proxy-through-its-observer')
      expect(result.output).toContain('no-cycles')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
