// The settings form as text fields and checkboxes, turned into `UiSettings` when valid.

import type { UiSettings } from "../../ipc/client";

export interface SettingsDraft {
  clearClipboard: boolean;
  clearSecs: string;
  notifyMins: string;
  autostart: boolean;
}

export interface SettingsCheck {
  clearSecs: string | null;
  notifyMins: string | null;
  /** The settings to save, or null while a field has a problem. */
  settings: UiSettings | null;
}

const whole = (text: string, min: number, max: number): number | null => {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return null;
  const n = Number(trimmed);
  return n >= min && n <= max ? n : null;
};

export function settingsProblems(draft: SettingsDraft): SettingsCheck {
  const secs = draft.clearClipboard ? whole(draft.clearSecs, 5, 3_600) : 0;
  const mins = whole(draft.notifyMins, 0, 10_080);
  const clearSecs = secs === null ? "Enter a whole number of seconds from 5 to 3600." : null;
  const notifyMins =
    mins === null ? "Enter a whole number of minutes (0 turns the warning off)." : null;
  return {
    clearSecs,
    notifyMins,
    settings:
      secs === null || mins === null
        ? null
        : { clipboard_clear_secs: secs, notify_session_end_mins: mins, autostart: draft.autostart },
  };
}
