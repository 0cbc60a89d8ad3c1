// The quick actions shared by the list, the detail view and the tray-like shortcuts: each calls
// the backend and tells the person how it went with a toast.

import { copiedMessage, notify } from "../../app/notices";
import {
  acknowledgeIdentity,
  copyToken,
  failureText,
  logout,
  refreshConnection,
} from "../../ipc/client";
import type { TokenFormat } from "../../ipc/client";

const WHAT: Record<TokenFormat, string> = { token: "Token", header: "Header" };

export async function copyFromConnection(name: string, format: TokenFormat): Promise<void> {
  try {
    const { clears_at } = await copyToken(name, format);
    notify("info", copiedMessage(WHAT[format], clears_at, Date.now()));
  } catch (failure) {
    notify("error", `Could not copy the ${format} of ${name}: ${failureText(failure)}`);
  }
}

export async function refreshNow(name: string): Promise<void> {
  try {
    await refreshConnection(name);
    notify("info", `Renewed the token of ${name}`);
  } catch (failure) {
    notify("error", `Could not renew ${name}: ${failureText(failure)}`);
  }
}

export async function logOut(name: string): Promise<void> {
  try {
    await logout(name);
    notify("info", `Logged out of ${name}; its tokens are forgotten`);
  } catch (failure) {
    notify("error", `Could not log out of ${name}: ${failureText(failure)}`);
  }
}

/** Marks a change of account after a login as seen, so the list stops pointing it out. */
export async function acknowledgeChange(name: string): Promise<void> {
  try {
    await acknowledgeIdentity(name);
  } catch (failure) {
    notify("error", `Could not update ${name}: ${failureText(failure)}`);
  }
}
