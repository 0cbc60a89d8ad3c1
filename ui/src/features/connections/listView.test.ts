import { describe, expect, it } from "vitest";

import { NOW, connection } from "./fixtures";
import { visibleConnections } from "./listView";

const names = (list: { name: string }[]) => list.map((c) => c.name);

const list = [
  connection({ name: "zeta", label: "Zeta", expires_at: NOW + 60_000 }),
  connection({ name: "alpha", label: "alpha", status: "signed_out", expires_at: null }),
  connection({ name: "mid", label: "Mid 10", status: "needs_login" }),
  connection({ name: "mid2", label: "Mid 9", expires_at: null }),
  connection({
    name: "gis",
    label: "GIS portal",
    kind: "arcgis-token",
    status: "error",
    expires_at: NOW + 5_000,
    identity: { subject: "u1", name: "Grace Hopper", email: "grace@example.com" },
  }),
];

describe("visibleConnections", () => {
  it("sorts by label, ignoring case and reading numbers as numbers", () => {
    expect(names(visibleConnections(list, "", "name"))).toEqual([
      "alpha",
      "gis",
      "mid2",
      "mid",
      "zeta",
    ]);
  });

  it("sorts by expiry, soonest first, then no expiry, then no token", () => {
    expect(names(visibleConnections(list, "", "expiry"))).toEqual([
      "gis",
      "zeta",
      "mid2",
      "alpha",
      "mid",
    ]);
  });

  it("sorts by status with what needs a person first", () => {
    expect(names(visibleConnections(list, "", "status"))).toEqual([
      "mid",
      "gis",
      "mid2",
      "zeta",
      "alpha",
    ]);
  });

  it("finds connections by any word of label, name, kind, status or identity", () => {
    expect(names(visibleConnections(list, "grace", "name"))).toEqual(["gis"]);
    expect(names(visibleConnections(list, "ArcGIS", "name"))).toEqual(["gis"]);
    expect(names(visibleConnections(list, "needs login", "name"))).toEqual(["mid"]);
    expect(names(visibleConnections(list, "  mid  9 ", "name"))).toEqual(["mid2"]);
    expect(visibleConnections(list, "nothing-like-this", "name")).toEqual([]);
  });

  it("leaves the given list in its order", () => {
    visibleConnections(list, "", "name");
    expect(list[0]?.name).toBe("zeta");
  });
});
