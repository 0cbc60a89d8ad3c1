// A small drawn icon per provider kind. Decorative: the kind is always also written out.

import type { ProviderKind } from "../ipc/client";

import "./KindIcon.css";

const PATHS: Record<ProviderKind, string> = {
  // a globe
  "arcgis-token":
    "M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18M3 12h18M12 3c3 3 3 15 0 18M12 3c-3 3-3 15 0 18",
  "arcgis-oauth":
    "M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18M3 12h18M12 3c3 3 3 15 0 18M12 3c-3 3-3 15 0 18",
  // an atom
  itkpd:
    "M12 11a1 1 0 1 0 0 2a1 1 0 1 0 0-2M3 12c0-2 4-4 9-4s9 2 9 4-4 4-9 4-9-2-9-4M7.5 4.2c1.7-1 5.3 1.6 7.8 5.9s3 8.7 1.2 9.7-5.3-1.6-7.8-5.9-3-8.7-1.2-9.7",
  // a planet and its orbit, for Earth observation
  cdse: "M12 7a5 5 0 1 0 0 10a5 5 0 1 0 0-10M4 16c-2 2-1 3 2 2.5s9-4 12-7.5 3-5 0-4",
  // a key
  oauth2: "M8 9a4 4 0 1 0 0 8a4 4 0 1 0 0-8M11 11.5l9-4.5M17 8.5l1.5 3M14.5 9.8l1 2",
  // a padlock
  basic: "M6 11h12v9H6zM8.5 11V8a3.5 3.5 0 0 1 7 0v3M12 14.5v2.5",
  // a tag
  static: "M3 12V4h8l10 10-8 8zM7.5 7a1 1 0 1 0 0 2a1 1 0 1 0 0-2",
};

export function KindIcon({ kind }: { kind: ProviderKind }) {
  return (
    <span class={`kind-icon kind-icon--${kind}`} aria-hidden="true">
      <svg viewBox="0 0 24 24" width="18" height="18" focusable="false">
        <path
          d={PATHS[kind]}
          fill="none"
          stroke="currentColor"
          stroke-width="1.6"
          stroke-linecap="round"
          stroke-linejoin="round"
        />
      </svg>
    </span>
  );
}
