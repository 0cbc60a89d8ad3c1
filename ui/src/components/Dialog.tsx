// A modal dialog: focus moves in when it opens, Tab stays inside, Escape closes it, and focus
// returns to whatever opened it. Rendered in place (no portal); the backdrop covers the app.

import type { ComponentChildren } from "preact";
import { useEffect, useId, useRef } from "preact/hooks";

import "./Dialog.css";

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

export function focusableIn(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)];
}

export function Dialog({
  title,
  testId,
  onClose,
  size = "normal",
  role = "dialog",
  children,
}: {
  title: string;
  testId: string;
  /** Escape calls this; omit it to make the dialog close only from its own buttons. */
  onClose?: () => void;
  size?: "normal" | "wide";
  role?: "dialog" | "alertdialog";
  children: ComponentChildren;
}) {
  const panel = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const close = useRef(onClose);
  close.current = onClose;

  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const root = panel.current;
    if (root !== null) {
      const first =
        root.querySelector<HTMLElement>("[data-autofocus]") ?? focusableIn(root)[0] ?? root;
      first.focus();
    }
    return () => {
      if (opener?.isConnected === true) opener.focus();
    };
  }, []);

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === "Escape" && close.current !== undefined) {
      event.stopPropagation();
      close.current();
      return;
    }
    if (event.key !== "Tab" || panel.current === null) return;
    const items = focusableIn(panel.current);
    const first = items[0];
    const last = items[items.length - 1];
    if (first === undefined || last === undefined) {
      event.preventDefault();
      return;
    }
    if (
      event.shiftKey &&
      (document.activeElement === first || document.activeElement === panel.current)
    ) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  };

  return (
    // A click beside the dialog does nothing: a stray click must not cancel a login or a form.
    <div class="dialog-backdrop">
      <div
        ref={panel}
        class={`dialog dialog--${size}`}
        role={role}
        aria-modal="true"
        aria-labelledby={titleId}
        tabIndex={-1}
        data-testid={testId}
        onKeyDown={onKeyDown}
      >
        <h2 class="dialog__title" id={titleId}>
          {title}
        </h2>
        {children}
      </div>
    </div>
  );
}

/** The row of buttons at a dialog's foot. */
export function DialogActions({ children }: { children: ComponentChildren }) {
  return <div class="dialog__actions">{children}</div>;
}
