// Warnings shown wherever a connection with a risky setting appears (list, detail, wizard).

/** A connection with `allow_http = true`: plain http to a host that is not this computer. */
export const ALLOW_HTTP_WARNING =
  "Plain http is allowed for this connection: its passwords and tokens can cross the network unencrypted. Switch to https when the server offers it.";
