import { fileURLToPath } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'

/**
 * The dashboard. `vite build` writes `client/dist`, which the server serves at `/`; `npm run
 * dev:client` serves it with hot reload and forwards GraphQL (HTTP and WebSocket) to a running
 * Claudescope on the default port.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [vue()],
  build: { outDir: 'dist', emptyOutDir: true },
  server: {
    proxy: {
      '/graphql': { target: 'http://127.0.0.1:3001', ws: true },
    },
  },
})
