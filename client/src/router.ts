import { createRouter, createWebHistory, type RouteRecordRaw, type RouterHistory } from 'vue-router'
import ConversationPage from './pages/ConversationPage.vue'
import ConversationsPage from './pages/ConversationsPage.vue'
import RequestsPage from './pages/RequestsPage.vue'
import SettingsPage from './pages/SettingsPage.vue'

/**
 * Every page has its own address, and every request its own deep link, so a link pasted into a
 * chat opens what its sender saw. The server answers any unknown path with index.html.
 */
export const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/requests' },
  { path: '/requests/:id?', name: 'requests', component: RequestsPage, props: (route) => ({ id: typeof route.params.id === 'string' ? route.params.id : null }) },
  { path: '/conversations', name: 'conversations', component: ConversationsPage },
  { path: '/conversations/:id', name: 'conversation', component: ConversationPage, props: true },
  // The charting library is loaded with the page that charts, not with the dashboard.
  { path: '/usage', name: 'usage', component: () => import('./pages/UsagePage.vue') },
  { path: '/settings', name: 'settings', component: SettingsPage },
  { path: '/:unknown(.*)*', redirect: '/requests' },
]

/** The navigation bar's pages, in order. */
export const pageLinks = [
  { to: '/requests', label: 'Requests' },
  { to: '/conversations', label: 'Conversations' },
  { to: '/usage', label: 'Usage' },
  { to: '/settings', label: 'Settings' },
] as const

export function createDashboardRouter(history: RouterHistory = createWebHistory()) {
  return createRouter({ history, routes })
}
