// Once the page is painted, tell the app (the same moment Tokentray reports), with the page's
// loading stages under the names Tokentray's profile uses.
const scriptStarted = performance.timeOrigin + performance.now();
requestAnimationFrame(() => {
  const painted = performance.timeOrigin + performance.now();
  const marks = [];
  const [navigation] = performance.getEntriesByType("navigation");
  if (navigation !== undefined) {
    const at = (ms) => performance.timeOrigin + ms;
    marks.push(
      ["page requested", at(navigation.fetchStart)],
      ["page received", at(navigation.responseEnd)],
      ["document parsed", at(navigation.domInteractive)],
    );
  }
  marks.push(["script started", scriptStarted], ["painted", painted]);
  window.__TAURI_INTERNALS__.invoke("ui_ready", { marks });
});
