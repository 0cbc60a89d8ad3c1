import type { ComponentChildren } from "preact";

import "./Badge.css";

/** The colour family of a badge. Colour only reinforces the text, which always says it. */
export type Tone = "positive" | "info" | "neutral" | "warning" | "danger";

export function Badge({ tone, children }: { tone: Tone; children: ComponentChildren }) {
  return <span class={`badge badge--${tone}`}>{children}</span>;
}
