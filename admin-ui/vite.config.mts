// The admin UI's build: served by the Express server at /admin (admin-ui/dist), or by `npm run dev:ui`
// with a proxy to the API for UI work. No React plugin: Vite's own transform handles TSX.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const apiTarget = process.env.API_URL ?? 'http://localhost:3000';

const here = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  base: '/admin/',
  oxc: { jsx: { runtime: 'automatic' } },
  resolve: { alias: { '@contract': path.resolve(here, '../src/contract') } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    rolldownOptions: {
      // Mantine marks its modules "use client" for React Server Components; meaningless in a plain SPA
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  server: {
    port: 5173,
    proxy: {
      '/api': { target: apiTarget, changeOrigin: false },
      '/v1': { target: apiTarget },
      '/admin/queues': { target: apiTarget },
    },
  },
});
