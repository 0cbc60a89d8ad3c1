// Words for the wire values: what each status is called on screen, and which badge tone it
// gets (a kind's name comes from the engine, as `kind_title`). The records are exhaustive over
// the generated types, so a new status from the backend fails type-checking here until it has
// a name.

import type { Connection, Identity, Status } from "../../ipc/client";
import type { Tone } from "../../components/Badge";

const STATUS_LABELS: Record<Status, string> = {
  active: "Active",
  refreshing: "Refreshing",
  signed_out: "Signed out",
  needs_login: "Needs login",
  error: "Retrying",
};

const STATUS_TONES: Record<Status, Tone> = {
  active: "positive",
  refreshing: "info",
  signed_out: "neutral",
  // Only a person can fix this one.
  needs_login: "danger",
  // A renewal failed transiently; the token still works and Tokentray retries.
  error: "warning",
};

export const statusLabel = (status: Status): string => STATUS_LABELS[status];
export const statusTone = (status: Status): Tone => STATUS_TONES[status];

/** Who the token belongs to: a display name first, the account id otherwise. */
export function identityLines(
  identity: Identity | null,
): { primary: string; secondary: string | null } | null {
  if (identity === null) return null;
  const primary = identity.name ?? identity.subject;
  const secondary = identity.email ?? (identity.name == null ? null : identity.subject);
  return { primary, secondary: secondary === primary ? null : secondary };
}

/** After a login as another account: "Now Grace Hopper, was Ada Lovelace"; else null. */
export function identityChange(c: {
  identity: Identity | null;
  previous_identity: Identity | null;
}): string | null {
  const now = identityLines(c.identity);
  const was = identityLines(c.previous_identity);
  if (now === null || was === null) return null;
  return `Now ${now.primary}, was ${was.primary}`;
}

/** Whether a token is held, so that an expiry (or its absence) means something. */
export const holdsToken = (c: Connection): boolean =>
  c.status === "active" || c.status === "refreshing" || c.status === "error";

/** "3 connections · 2 active" */
export function summary(connections: readonly Connection[]): string {
  const n = connections.length;
  const active = connections.filter((c) => c.status === "active").length;
  const attention = connections.filter((c) => c.status === "needs_login").length;
  const parts = [`${n} connection${n === 1 ? "" : "s"}`, `${active} active`];
  if (attention > 0) parts.push(`${attention} need${attention === 1 ? "s" : ""} login`);
  return parts.join(" · ");
}
