import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { startApp, type TestApp } from './start-app'
import { waitFor } from './wait'

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

/** Headless Chromium without the background traffic (updates, sync) that a test has no use for. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}

/**
 * For the tests of the enclosing describe: a fresh app (dashboard built if need be) and a headless
 * Chromium, both closed after them. Read `app` and `browser` inside the tests, once they are started.
 */
export function appInBrowser(): { readonly app: TestApp; readonly browser: Browser } {
  const started: { app?: TestApp; browser?: Browser } = {}
  beforeAll(async () => {
    ensureClientBuilt()
    started.app = await startApp()
    started.browser = await launchChromium()
  }, 120_000)
  afterAll(async () => {
    await started.browser?.close()
    await started.app?.close()
  })
  return {
    get app() {
      return started.app!
    },
    get browser() {
      return started.browser!
    },
  }
}

/**
 * The dashboard in a new page whose script errors and console errors are collected in `problems`
 * (a test expects none); resolves once its live subscription is registered on the server.
 */
export async function openDashboard(browser: Browser, app: TestApp, viewport = { width: 1440, height: 900 }): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport })
  const problems: string[] = []
  page.on('pageerror', (error) => problems.push(error.message))
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text())
  })
  const subscribersBefore = app.app.bus.subscriberCount
  await page.goto(`${app.url}/`)
  await waitFor(() => app.app.bus.subscriberCount > subscribersBefore, 'the dashboard to subscribe to request events')
  return { page, problems }
}
