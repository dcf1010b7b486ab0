import { mkdirSync } from 'node:fs'
import path from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { appInBrowser, hasChromium, ROOT } from '../support/browser'
import { conversationTurnRecord } from '../support/record-fixtures'
import { sdkClient } from '../support/sdk-client'
import { startApp } from '../support/start-app'
import { backdateRecords, storeRecords } from '../support/stored-records'

const SETTINGS_SCREENSHOT = path.join(ROOT, 'docs/screenshot-settings.png')
const DARK_SCREENSHOT = path.join(ROOT, 'docs/screenshot-dark.png')
const STORAGE_SCREENSHOT = path.join(ROOT, 'docs/screenshot-storage.png')
const VIEWPORT = { width: 1280, height: 800 }

const ask = (content: string) => ({ model: 'claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user' as const, content }] })

describe.skipIf(!hasChromium)('settings page in a real browser', () => {
  const dashboard = appInBrowser()

  /** A fresh browser profile (own localStorage) whose script errors fail the test. */
  async function openPage(path: string, colorScheme: 'light' | 'dark'): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
    const context = await dashboard.browser.newContext({ viewport: VIEWPORT, colorScheme })
    const page = await context.newPage()
    const problems: string[] = []
    page.on('pageerror', (error) => problems.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text())
    })
    await page.goto(`${dashboard.app.url}${path}`)
    return { context, page, problems }
  }

  const lastUpstreamHeaders = () => dashboard.app.upstream.requests.at(-1)!.headers

  it('adds a header rule in the browser that the next proxied request carries upstream, shows a refusal beside its field, and dry-runs it', async () => {
    const anthropic = sdkClient(dashboard.app.url)
    await anthropic.messages.create(ask('before any rule'))
    expect(lastUpstreamHeaders()['x-team']).toBeUndefined()

    const { context, page, problems } = await openPage('/settings', 'light')
    await page.getByRole('heading', { name: 'Header rules' }).waitFor()
    await page.getByRole('button', { name: 'Add rule' }).click()
    const form = page.getByRole('form', { name: 'New header rule' })

    // The server's own validation: host belongs to the connection and is refused.
    await form.getByLabel('Header').fill('Host')
    await form.getByLabel('Value').fill('example.com')
    await form.getByRole('button', { name: 'Add rule' }).click()
    const headerError = form.locator('#' + (await waitForAttribute(form.getByLabel('Header'), 'aria-describedby')))
    expect(await headerError.textContent()).toContain('host cannot be rewritten')

    await form.getByLabel('Header').fill('X-Team')
    await form.getByLabel('Value').fill('blue')
    await form.getByLabel('Description').fill('tag traffic from this machine')
    await form.getByRole('button', { name: 'Add rule' }).click()
    await page.locator('li.rule', { hasText: 'x-team' }).waitFor()

    await anthropic.messages.create(ask('after the rule'))
    expect(lastUpstreamHeaders()['x-team']).toBe('blue')

    // A second rule, moved above the first with the keyboard: the order the proxy applies changes.
    await page.getByRole('button', { name: 'Add rule' }).click()
    await form.getByLabel('Action').selectOption('BLOCK')
    await form.getByLabel('Header').fill('x-team')
    await form.getByRole('button', { name: 'Add rule' }).click()
    const second = page.locator('li.rule').nth(1)
    await second.filter({ hasText: 'Block' }).waitFor()
    await anthropic.messages.create(ask('set, then block'))
    expect(lastUpstreamHeaders()['x-team']).toBeUndefined()
    await second.focus()
    await page.keyboard.press('Alt+ArrowUp')
    await page.getByText('Rule x-team moved to position 1 of 2.').waitFor({ state: 'attached' })
    expect(await page.evaluate(() => document.activeElement?.textContent)).toContain('Block')
    await anthropic.messages.create(ask('block, then set'))
    expect(lastUpstreamHeaders()['x-team']).toBe('blue')

    await page.locator('li.rule').first().getByRole('checkbox').uncheck()
    await page.locator('li.rule.disabled').waitFor()

    await page.reload()
    await page.getByRole('button', { name: 'Dry run' }).click()
    await page.locator('.dry-run .outcome').getByText('SET x-team (request)').waitFor()
    expect(await page.locator('.dry-run .outcome').textContent()).not.toContain('BLOCK')
    await page.locator('.audit').getByText('x-team').first().waitFor()

    if (process.env.UPDATE_SCREENSHOT === '1') {
      mkdirSync(path.dirname(SETTINGS_SCREENSHOT), { recursive: true })
      await page.screenshot({ path: SETTINGS_SCREENSHOT })
    }
    expect(problems).toEqual([])
    await context.close()
  }, 90_000)

  it('shows the space the database takes and prunes an old request from the browser once confirmed', async () => {
    const { dataSource } = dashboard.app.app
    const old = conversationTurnRecord('a session from long ago', 1)
    // Today's session stays: the figures show what is kept, and the prune leaves it alone.
    const kept = [1, 2, 3].map((turn) => conversationTurnRecord('a session of today', turn))
    await storeRecords(dataSource, [old, ...kept])
    await backdateRecords(dataSource, [old.id], 40)

    const { context, page, problems } = await openPage('/settings', 'light')
    // The header says capture keeps up, and counts what this instance wrote.
    const capture = page.locator('.capture-status')
    await capture.getByRole('status').getByText('Capturing').waitFor()
    await capture.getByRole('button').click()
    expect(await capture.getByRole('region', { name: 'Capture' }).textContent()).toMatch(/Records written\d+.*Lost0/)
    await page.keyboard.press('Escape')
    const section = page.getByRole('region', { name: 'Storage and retention' })
    await section.getByText('Until pruned by hand: RETENTION_DAYS is not set.').waitFor()
    expect(await section.locator('.database-size').textContent()).toMatch(/^\d[\d.]* (KiB|MiB|GiB), of which \d[\d.]* (KiB|MiB) in Claudescope's tables/)
    await section.getByRole('rowheader', { name: 'Requests' }).waitFor()

    await section.getByLabel('Delete records older than').fill('30')
    await section.getByRole('button', { name: 'Prune now…' }).click()
    const confirm = section.getByRole('alertdialog')
    expect(await confirm.textContent()).toContain('more than 30 days ago')
    // The question has the focus: Enter deletes.
    await confirm.getByRole('button', { name: 'Delete' }).and(page.locator(':focus')).waitFor()
    await page.keyboard.press('Enter')
    await section.locator('.outcome').getByText(/^Pruned: 1 request, \d+ body parts? and 0 Claude Code telemetry records deleted/).waitFor()
    await section.locator('.last-prune').getByText(/keeping 30 days: 1 request,/).waitFor()
    const remaining = (await dataSource.query('SELECT id FROM requests WHERE id = ANY($1)', [[old.id, ...kept.map((r) => r.id)]])) as { id: string }[]
    expect(remaining.map((r) => r.id).sort()).toEqual(kept.map((r) => r.id).sort())
    if (process.env.UPDATE_SCREENSHOT === '1') await section.screenshot({ path: STORAGE_SCREENSHOT })
    expect(problems).toEqual([])
    await context.close()
  }, 60_000)

  it('follows a dark system theme, keeps the light choice made with the toggle across a reload, and moves between pages with g keys', async () => {
    const { context, page, problems } = await openPage('/requests', 'dark')
    const theme = () => page.evaluate(() => document.documentElement.dataset.theme)
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor)
    expect(await theme()).toBe('dark')
    const dark = await background()

    await page.keyboard.press('g')
    await page.keyboard.press('s')
    await page.waitForURL(`${dashboard.app.url}/settings`)
    await page.getByRole('heading', { name: 'Prices' }).waitFor()
    if (process.env.UPDATE_SCREENSHOT === '1') await page.screenshot({ path: DARK_SCREENSHOT })

    await page.getByRole('button', { name: 'Dark theme' }).click()
    expect(await theme()).toBe('light')
    expect(await background()).not.toBe(dark)
    await page.reload()
    await page.getByRole('heading', { name: 'Prices' }).waitFor()
    expect(await theme()).toBe('light')

    await page.keyboard.press('?')
    await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor()
    await page.keyboard.press('Escape')
    await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor({ state: 'hidden' })
    await page.keyboard.press('g')
    await page.keyboard.press('r')
    await page.waitForURL(`${dashboard.app.url}/requests`)
    expect(problems).toEqual([])
    await context.close()
  }, 60_000)

  it('asks for the dashboard token on a deep link and opens the page linked to once it is given', async () => {
    const guarded = await startApp({ env: { DASHBOARD_TOKEN: 'e2e-dashboard-token' } })
    const context = await dashboard.browser.newContext({ viewport: VIEWPORT })
    try {
      const page = await context.newPage()
      await page.goto(`${guarded.url}/settings`)
      const token = page.getByRole('textbox', { name: 'Token' })
      await token.waitFor()
      expect(await page.getByRole('heading', { name: 'Header rules' }).count()).toBe(0)
      await token.fill('e2e-dashboard-token')
      await page.getByRole('button', { name: 'Open dashboard' }).click()
      await page.getByRole('heading', { name: 'Header rules' }).waitFor()
      await page.getByText('No header rules').waitFor()
      expect(new URL(page.url()).pathname).toBe('/settings')
    } finally {
      await context.close()
      await guarded.close()
    }
  }, 90_000)

})

/** The attribute's value once the page has set it. */
async function waitForAttribute(locator: ReturnType<Page['locator']>, name: string): Promise<string> {
  await locator.and(locator.page().locator(`[${name}]`)).waitFor()
  return (await locator.getAttribute(name))!
}
