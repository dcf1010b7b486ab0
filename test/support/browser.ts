import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { chromium, type Browser } from 'playwright-core'

/** Debian's Chromium (CI installs it); never a browser download. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const hasChromium = existsSync(CHROMIUM)
if (!hasChromium) {
  console.warn(`\n!!! SKIPPING the dashboard browser tests: no Chromium at ${CHROMIUM}. Install it with: apt-get install -y chromium !!!\n`)
}

export const ROOT = path.resolve(import.meta.dirname, '../..')

/** The server serves client/dist; build it once when a fresh checkout has none. */
export function ensureClientBuilt(): void {
  if (existsSync(path.join(ROOT, 'client/dist/index.html'))) return
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '-c', 'client/vite.config.mts'], { cwd: ROOT, stdio: 'inherit' })
}

/** Headless Chromium without the background traffic that would make a test's network uneven. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}
