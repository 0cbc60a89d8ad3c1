// The Linux font stack stays generic: WebKitGTK asks fontconfig for each family a list names, and
// every name that is not installed costs the first layout 10-15 ms (theme.css).

import { readFileSync } from "node:fs";
import { resolve } from "node:path";

import { describe, expect, it } from "vitest";

// Vitest runs in ui/.
const css = readFileSync(resolve("src/app/theme.css"), "utf8");

function block(selector: string): string {
  const start = css.indexOf(`${selector} {`);
  if (start < 0) throw new Error(`theme.css has no ${selector} block`);
  return css.slice(start, css.indexOf("}", start));
}

function fonts(body: string, variable: string): string[] {
  const found = new RegExp(`${variable}:([^;]*);`).exec(body);
  if (found?.[1] === undefined) throw new Error(`no ${variable}`);
  return found[1].split(",").map((f) => f.trim());
}

describe("the font stacks", () => {
  it("name only fontconfig's generic families on Linux", () => {
    const linux = block(':root[data-os="linux"]');
    expect(fonts(linux, "--font-ui")).toEqual(["sans-serif"]);
    expect(fonts(linux, "--font-mono")).toEqual(["monospace"]);
  });

  it("end in a generic family everywhere else", () => {
    const root = block(":root");
    expect(fonts(root, "--font-ui").at(-1)).toBe("sans-serif");
    expect(fonts(root, "--font-mono").at(-1)).toBe("monospace");
  });
});
