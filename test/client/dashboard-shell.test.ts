import { flushPromises, mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { ref } from 'vue'
import { createMemoryHistory } from 'vue-router'
import App from '../../client/src/App.vue'
import { createTheme, THEME_STORAGE_KEY, themeKey } from '../../client/src/composables/use-theme'
import { dashboardSessionKey, type DashboardSession } from '../../client/src/graphql/dashboard-session'
import { createDashboardRouter } from '../../client/src/router'
import { createFakeGraphQLServer } from '../support/fake-graphql-server'
import { createFakeSettingsApi } from '../support/fake-settings-api'

/** A system dark-mode query the test can flip, as a browser's MediaQueryList does. */
function fakeSystemTheme(dark: boolean) {
  const listeners: Array<(event: { matches: boolean }) => void> = []
  return {
    matches: dark,
    addEventListener: (_type: string, listener: (event: { matches: boolean }) => void) => listeners.push(listener),
    flip(toDark: boolean) {
      this.matches = toDark
      for (const listener of listeners) listener({ matches: toDark })
    },
  }
}

function memoryStorage(initial: Record<string, string> = {}) {
  const items = new Map(Object.entries(initial))
  return { getItem: (key: string) => items.get(key) ?? null, setItem: (key: string, value: string) => void items.set(key, value), items }
}

async function mountShell(path: string, options: { needsToken?: boolean; storage?: ReturnType<typeof memoryStorage>; systemDark?: boolean } = {}) {
  const server = createFakeGraphQLServer({ answers: createFakeSettingsApi().answers })
  const needsToken = ref(options.needsToken ?? false)
  const tokens: string[] = []
  const session: DashboardSession = {
    client: server.provide.$urql,
    needsToken,
    setToken(token) {
      tokens.push(token)
      needsToken.value = false
    },
  }
  const storage = options.storage ?? memoryStorage()
  const system = fakeSystemTheme(options.systemDark ?? false)
  const root = document.createElement('div')
  const theme = createTheme({ storage, prefersDark: system as unknown as MediaQueryList, root })
  const router = createDashboardRouter(createMemoryHistory())
  await router.push(path)
  await router.isReady()
  const wrapper = mount(App, { global: { provide: { ...server.provide, [dashboardSessionKey]: session, [themeKey]: theme }, plugins: [router] }, attachTo: document.body })
  await flushPromises()
  return { wrapper, router, tokens, storage, system, root, theme }
}

const press = (key: string, target: EventTarget = document.body) => target.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }))

describe('dashboard shell', () => {
  it('keeps a deep link across the token form: the page asked for opens once the token is given', async () => {
    const { wrapper, router, tokens } = await mountShell('/settings', { needsToken: true })
    expect(wrapper.find('#dashboard-token').exists()).toBe(true)
    expect(wrapper.find('.settings-page').exists()).toBe(false)

    await wrapper.find('#dashboard-token').setValue('s3cret')
    await wrapper.find('form.token-form').trigger('submit')
    await flushPromises()
    expect(tokens).toEqual(['s3cret'])
    expect(router.currentRoute.value.fullPath).toBe('/settings')
    expect(wrapper.find('.settings-page').exists()).toBe(true)
    wrapper.unmount()
  })

  it('goes to a page with g and its letter, and shows the shortcut list with ?', async () => {
    const { wrapper, router } = await mountShell('/requests')
    press('g')
    press('s')
    await flushPromises()
    expect(router.currentRoute.value.path).toBe('/settings')

    press('g')
    press('r')
    await flushPromises()
    expect(router.currentRoute.value.path).toBe('/requests')

    press('?')
    await flushPromises()
    const help = wrapper.find('dialog.shortcut-help')
    expect(help.text()).toContain('Go to Requests')
    expect(help.text()).toContain('Go to Settings')
    expect(help.findAll('kbd').map((key) => key.text())).toEqual(expect.arrayContaining(['g', 's', 'r', '?']))
    expect((help.element as HTMLDialogElement).open).toBe(true)
    await help.findAll('button').at(-1)!.trigger('click')
    await flushPromises()
    expect((help.element as HTMLDialogElement).open).toBe(false)
    wrapper.unmount()
  })

  it('leaves g and s alone while the viewer types in a field', async () => {
    const { wrapper, router } = await mountShell('/requests')
    const field = document.createElement('input')
    document.body.append(field)
    press('g', field)
    press('s', field)
    await flushPromises()
    expect(router.currentRoute.value.path).toBe('/requests')
    field.remove()
    wrapper.unmount()
  })

  it('follows the system theme until the toggle is pressed, then keeps the choice in localStorage', async () => {
    const storage = memoryStorage()
    const { wrapper, root, system } = await mountShell('/requests', { storage, systemDark: false })
    const toggle = wrapper.find('button.theme-toggle')
    expect(root.dataset.theme).toBe('light')
    expect(toggle.attributes('aria-pressed')).toBe('false')

    system.flip(true)
    await flushPromises()
    expect(root.dataset.theme).toBe('dark')
    expect(storage.items.has(THEME_STORAGE_KEY)).toBe(false)

    await toggle.trigger('click')
    expect(root.dataset.theme).toBe('light')
    expect(storage.items.get(THEME_STORAGE_KEY)).toBe('light')
    system.flip(true)
    await flushPromises()
    expect(root.dataset.theme).toBe('light')
    await toggle.trigger('click')
    expect(root.dataset.theme).toBe('dark')
    expect(toggle.attributes('aria-pressed')).toBe('true')
    wrapper.unmount()

    const again = await mountShell('/requests', { storage, systemDark: false })
    expect(again.root.dataset.theme).toBe('dark')
    again.wrapper.unmount()
  })
})
