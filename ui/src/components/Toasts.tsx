// The toast region: polite for information, assertive for errors, each toast dismissable and
// gone on its own after a while.

import { useEffect, useState } from "preact/hooks";

import { onToast } from "../app/notices";
import type { Toast } from "../app/notices";

import "./Toasts.css";

/** How long a toast stays, by level; errors stay longer so they can be read. */
const LIFETIME = { info: 6_000, warning: 10_000, error: 12_000 } as const;

export function Toasts() {
  const [toasts, setToasts] = useState<Toast[]>([]);

  useEffect(() => {
    const timers = new Set<ReturnType<typeof setTimeout>>();
    const stop = onToast((toast) => {
      setToasts((list) => [...list.slice(-3), toast]);
      const timer = setTimeout(() => {
        timers.delete(timer);
        setToasts((list) => list.filter((t) => t.id !== toast.id));
      }, LIFETIME[toast.level]);
      timers.add(timer);
    });
    return () => {
      stop();
      for (const timer of timers) clearTimeout(timer);
    };
  }, []);

  const dismiss = (id: number) => {
    setToasts((list) => list.filter((t) => t.id !== id));
  };

  return (
    <div class="toasts" data-testid="toasts">
      <div class="toasts__region" aria-live="polite" role="status">
        {toasts
          .filter((t) => t.level !== "error")
          .map((t) => (
            <ToastView key={t.id} toast={t} onDismiss={dismiss} />
          ))}
      </div>
      <div class="toasts__region" aria-live="assertive" role="alert">
        {toasts
          .filter((t) => t.level === "error")
          .map((t) => (
            <ToastView key={t.id} toast={t} onDismiss={dismiss} />
          ))}
      </div>
    </div>
  );
}

function ToastView({ toast, onDismiss }: { toast: Toast; onDismiss: (id: number) => void }) {
  return (
    <div class={`toast toast--${toast.level}`} data-testid="toast" data-level={toast.level}>
      <span class="toast__message">{toast.message}</span>
      <button
        type="button"
        class="toast__close"
        aria-label="Dismiss"
        onClick={() => {
          onDismiss(toast.id);
        }}
      >
        <span aria-hidden="true">×</span>
      </button>
    </div>
  );
}
