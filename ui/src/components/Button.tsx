import type { ComponentChildren } from "preact";

import "./Button.css";

export function Button({
  onClick,
  variant = "secondary",
  children,
}: {
  onClick: () => void;
  variant?: "primary" | "secondary";
  children: ComponentChildren;
}) {
  return (
    <button type="button" class={`button button--${variant}`} onClick={onClick}>
      {children}
    </button>
  );
}
