// How a token's remaining lifetime reads in the list. Pure functions: the caller passes `now`,
// so tests never wait and every row on screen agrees on the same instant.

const SECOND = 1_000;
const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Below this much remaining lifetime a countdown is shown as urgent. */
export const SOON_MS = 5 * MINUTE * SECOND;

/** How urgent an expiry is, for styling. The text always says the same thing in words. */
export type ExpiryTone = "none" | "ok" | "soon" | "expired";

const pad = (n: number): string => String(n).padStart(2, "0");

/**
 * The time left until `expiresAt` (epoch ms): "42s", "4m 05s", "2h 03m", "3d 04h", "expired",
 * or "no expiry" when the token has none.
 *
 * Seconds round up, so the last second reads "1s" and "0s" never shows before "expired".
 */
export function formatCountdown(expiresAt: number | null, now: number): string {
  if (expiresAt === null) return "no expiry";
  const remaining = expiresAt - now;
  if (!(remaining > 0)) return "expired";
  const total = Math.ceil(remaining / SECOND);
  const days = Math.floor(total / DAY);
  const hours = Math.floor((total % DAY) / HOUR);
  const minutes = Math.floor((total % HOUR) / MINUTE);
  const seconds = total % MINUTE;
  if (total < MINUTE) return `${seconds}s`;
  if (total < HOUR) return `${minutes}m ${pad(seconds)}s`;
  if (total < DAY) return `${hours}h ${pad(minutes)}m`;
  return `${days}d ${pad(hours)}h`;
}

/** How urgent the expiry at `expiresAt` is at `now`. */
export function expiryTone(expiresAt: number | null, now: number): ExpiryTone {
  if (expiresAt === null) return "none";
  const remaining = expiresAt - now;
  if (!(remaining > 0)) return "expired";
  return remaining <= SOON_MS ? "soon" : "ok";
}
