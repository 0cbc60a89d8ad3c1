// Which connections the list shows, in which order: pure, so sorting and search are tested
// without rendering.

import type { Connection, Status } from "../../ipc/client";
import { identityLines, statusLabel } from "./labels";

export type SortKey = "name" | "expiry" | "status";

/** Above this many connections the list offers search and sorting. */
export const SEARCH_THRESHOLD = 5;

/** Most urgent first: what needs a person, then what is failing, then the rest. */
const STATUS_ORDER: Record<Status, number> = {
  needs_login: 0,
  error: 1,
  refreshing: 2,
  active: 3,
  signed_out: 4,
};

const byName = (a: Connection, b: Connection): number =>
  a.label.localeCompare(b.label, undefined, { sensitivity: "base", numeric: true }) ||
  a.name.localeCompare(b.name);

/** Soonest expiry first; tokens without an expiry, then connections holding none, last. */
function expiryRank(c: Connection): number {
  if (c.status === "signed_out" || c.status === "needs_login") return Number.POSITIVE_INFINITY;
  return c.expires_at ?? Number.MAX_VALUE;
}

const COMPARE: Record<SortKey, (a: Connection, b: Connection) => number> = {
  name: byName,
  expiry: (a, b) => {
    const ra = expiryRank(a);
    const rb = expiryRank(b);
    return ra === rb ? byName(a, b) : ra < rb ? -1 : 1;
  },
  status: (a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || byName(a, b),
};

/** Every word a person might search for: label, name, kind, status and identity. */
function haystack(c: Connection): string {
  const who = identityLines(c.identity);
  return [
    c.label,
    c.name,
    c.kind,
    c.kind_title,
    statusLabel(c.status),
    who?.primary,
    who?.secondary,
  ]
    .filter((part) => part !== null && part !== undefined)
    .join(" ")
    .toLowerCase();
}

/** The connections matching every word of `query`, sorted by `sort`; the input is untouched. */
export function visibleConnections(
  connections: readonly Connection[],
  query: string,
  sort: SortKey,
): Connection[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return connections
    .filter((c) => {
      const text = haystack(c);
      return words.every((w) => text.includes(w));
    })
    .sort(COMPARE[sort]);
}
