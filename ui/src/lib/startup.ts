// The UI's part of the launch profile: when the script started, the list was asked for, came
// back and was painted. Sent once with `uiReady`; the backend logs them at debug level against
// the process start (see src-tauri/src/startup.rs).

export interface StartupMark {
  stage: string;
  /** Milliseconds since the Unix epoch. */
  at: number;
}

const marks: StartupMark[] = [];

let shown: () => void = () => undefined;
const firstScreen = new Promise<void>((resolve) => {
  shown = resolve;
});

/** A window that is not shown paints nothing; held-back work starts after this at the latest. */
const FIRST_SCREEN_AT_MOST_MS = 3000;
setTimeout(() => {
  shown();
}, FIRST_SCREEN_AT_MOST_MS);

/** Resolves once the first screen (the list, or why it could not be read) is painted, or
 * after a few seconds when nothing is painted (a hidden window). */
export function afterFirstScreen(): Promise<void> {
  return firstScreen;
}

/** The first screen is painted: work held back for it may start. */
export function firstScreenShown(): void {
  shown();
}

/** Notes that `stage` is reached now. */
export function mark(stage: string): void {
  marks.push({ stage, at: performance.timeOrigin + performance.now() });
}

/** The page's own loading stages (from Navigation Timing, when the webview offers it), then the marks. */
export function startupMarks(): StartupMark[] {
  const page: StartupMark[] = [];
  const [navigation] = performance.getEntriesByType("navigation") as PerformanceNavigationTiming[];
  if (navigation !== undefined) {
    const at = (ms: number) => performance.timeOrigin + ms;
    page.push(
      { stage: "page requested", at: at(navigation.fetchStart) },
      { stage: "page received", at: at(navigation.responseEnd) },
      { stage: "document parsed", at: at(navigation.domInteractive) },
    );
  }
  return [...page, ...marks];
}
