import { flushPromises, mount } from '@vue/test-utils'
import { defineComponent, h } from 'vue'
import { createMemoryHistory, RouterView } from 'vue-router'
import { createDashboardRouter } from '../../client/src/router'

/**
 * Mounts the dashboard's router view at `path`, with the dashboard's own routes on an in-memory
 * history, so a page test goes through the same addresses (and deep links) a user's browser does.
 */
export async function mountDashboardPage(path: string, provide: Record<string | symbol, unknown>) {
  const router = createDashboardRouter(createMemoryHistory())
  await router.push(path)
  await router.isReady()
  const wrapper = mount(defineComponent({ render: () => h(RouterView) }), { global: { provide, plugins: [router] }, attachTo: document.body })
  await flushPromises()
  return Object.assign(wrapper, { router })
}
