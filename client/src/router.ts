import { createRouter, createWebHistory, type RouteRecordRaw, type RouterHistory } from 'vue-router'
import RequestsPage from './pages/RequestsPage.vue'
import SettingsPage from './pages/SettingsPage.vue'

/**
 * Every page has its own address, and every request its own deep link, so a link pasted into a
 * chat opens what its sender saw. The server answers any unknown path with index.html.
 */
export const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/requests' },
  { path: '/requests/:id?', name: 'requests', component: RequestsPage, props: (route) => ({ id: typeof route.params.id === 'string' ? route.params.id : null }) },
  { path: '/settings', name: 'settings', component: SettingsPage },
  { path: '/:unknown(.*)*', redirect: '/requests' },
]

/** The navigation bar's pages, in order. */
export const pageLinks = [
  { to: '/requests', label: 'Requests' },
  { to: '/settings', label: 'Settings' },
] as const

export function createDashboardRouter(history: RouterHistory = createWebHistory()) {
  return createRouter({ history, routes })
}
