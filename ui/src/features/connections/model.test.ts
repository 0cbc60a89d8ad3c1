import { describe, expect, it } from "vitest";

import { connection } from "./fixtures";
import { applyChange } from "./model";

const names = (list: { name: string }[]) => list.map((c) => c.name);

describe("applyChange", () => {
  const list = [connection({ name: "a" }), connection({ name: "b" }), connection({ name: "c" })];

  it("replaces a changed connection in place, keeping the order", () => {
    const changed = connection({ name: "b", status: "needs_login" });
    const next = applyChange(list, { type: "changed", connection: changed });
    expect(names(next)).toEqual(["a", "b", "c"]);
    expect(next[1]?.status).toBe("needs_login");
    expect(list[1]?.status).toBe("active");
  });

  it("appends a connection it has not seen", () => {
    const next = applyChange(list, { type: "changed", connection: connection({ name: "d" }) });
    expect(names(next)).toEqual(["a", "b", "c", "d"]);
  });

  it("drops a removed connection and ignores unknown names", () => {
    expect(names(applyChange(list, { type: "removed", name: "a" }))).toEqual(["b", "c"]);
    expect(names(applyChange(list, { type: "removed", name: "zz" }))).toEqual(["a", "b", "c"]);
  });

  it("leaves the list as it is on resync; the caller reloads", () => {
    expect(applyChange(list, { type: "resync" })).toEqual(list);
  });
});
