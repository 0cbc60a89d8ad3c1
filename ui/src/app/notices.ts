// Short messages for the toast region: from the backend's `notice` event and from the UI's own
// actions ("Copied — clears in 60 s"). A tiny publish/subscribe store, so any code can notify
// without threading callbacks through components.

export type NoticeLevel = "info" | "warning" | "error";

export interface Toast {
  id: number;
  level: NoticeLevel;
  message: string;
}

type Listener = (toast: Toast) => void;

const listeners = new Set<Listener>();
let nextId = 1;

export function notify(level: NoticeLevel, message: string): void {
  const toast = { id: nextId++, level, message };
  for (const listener of listeners) listener(toast);
}

export function onToast(listener: Listener): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

/** "Copied — clears in 60 s", or "Copied" when the clipboard is left alone. */
export function copiedMessage(what: string, clearsAt: number | null, now: number): string {
  if (clearsAt === null) return `${what} copied`;
  const seconds = Math.max(0, Math.round((clearsAt - now) / 1_000));
  return `${what} copied — clears in ${seconds} s`;
}
