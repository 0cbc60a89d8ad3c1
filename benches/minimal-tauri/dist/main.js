// Once the page is painted, tell the app (the same moment Tokentray reports).
requestAnimationFrame(() => {
  window.__TAURI_INTERNALS__.invoke("ui_ready");
});
