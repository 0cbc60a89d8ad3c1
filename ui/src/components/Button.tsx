import type { ComponentChildren } from "preact";

import "./Button.css";

export type ButtonVariant = "primary" | "secondary" | "danger" | "ghost";

export function Button({
  onClick,
  variant = "secondary",
  size = "normal",
  type = "button",
  disabled = false,
  busy = false,
  testId,
  label,
  describedBy,
  children,
}: {
  onClick?: () => void;
  variant?: ButtonVariant;
  size?: "normal" | "small";
  type?: "button" | "submit";
  disabled?: boolean;
  /** Work is under way: the button is disabled and says so to screen readers. */
  busy?: boolean;
  testId?: string;
  /** The accessible name, when the visible text alone is ambiguous. */
  label?: string;
  describedBy?: string;
  children: ComponentChildren;
}) {
  return (
    <button
      type={type}
      class={`button button--${variant}${size === "small" ? " button--small" : ""}`}
      onClick={onClick}
      disabled={disabled || busy}
      aria-busy={busy || undefined}
      aria-label={label}
      aria-describedby={describedBy}
      data-testid={testId}
    >
      {children}
    </button>
  );
}
