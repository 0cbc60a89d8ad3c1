import { defineConfig } from "vitest/config";

// Preact through the automatic JSX runtime, compiled by Vite's own transformer: no Babel
// preset and no plugin. Tauri embeds the built files from `dist` (tauri.conf.json has no
// devUrl, so every cargo build is self-contained).
export default defineConfig({
  clearScreen: false,
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  server: { port: 5173, strictPort: true },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // The CSP allows images from 'self' and data: only; keep every asset a real file.
    assetsInlineLimit: 0,
  },
  test: {
    environment: "happy-dom",
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
