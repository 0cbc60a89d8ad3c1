import { describe, expect, it } from "vitest";

import { EXAMPLE_URL, buildSnippets, shellWord } from "./snippets";

const byId = (source: Parameters<typeof buildSnippets>[0]) =>
  Object.fromEntries(buildSnippets(source).map((s) => [s.id, s.code]));

describe("buildSnippets", () => {
  const bearer = byId({ name: "work-api", headerName: "Authorization", headerPrefix: "Bearer" });

  it("builds curl with the header filled by the CLI at run time", () => {
    expect(bearer.curl).toBe(
      `curl -H "Authorization: Bearer $(tokentray token work-api)" ${EXAMPLE_URL}`,
    );
  });

  it("builds Python requests with the tokentray client's auth", () => {
    expect(bearer.python).toContain("import tokentray");
    expect(bearer.python).toContain(
      `requests.get("${EXAMPLE_URL}", auth=tokentray.requests.Auth("work-api"))`,
    );
    expect(bearer.python).toContain("clients/python");
  });

  it("builds PowerShell and the environment variable forms", () => {
    expect(bearer.powershell).toBe(
      `$token = tokentray token work-api\n` +
        `Invoke-RestMethod -Uri "${EXAMPLE_URL}" -Headers @{ "Authorization" = "Bearer $token" }`,
    );
    expect(bearer.env).toBe("export BEARER_TOKEN=$(tokentray token work-api)");
    expect(bearer.exec).toMatch(/^tokentray exec work-api -- /);
  });

  it("uses the connection's own header name and prefix", () => {
    const esri = byId({
      name: "gis",
      headerName: "X-Esri-Authorization",
      headerPrefix: "Bearer",
    });
    expect(esri.curl).toContain(`-H "X-Esri-Authorization: Bearer $(tokentray token gis)"`);
    const bare = byId({ name: "key", headerName: "X-Api-Key", headerPrefix: "" });
    expect(bare.curl).toContain(`-H "X-Api-Key: $(tokentray token key)"`);
    expect(bare.powershell).toContain(`@{ "X-Api-Key" = "$token" }`);
  });

  it("escapes what a shell, Python or PowerShell would otherwise interpret", () => {
    const odd = byId({ name: "a", headerName: 'X-"$x"', headerPrefix: "{p}" });
    expect(odd.curl).toContain(`-H "X-\\"\\$x\\": {p} $(`);
    expect(odd.powershell).toContain('"X-`"`$x`"" = "{p} $token"');
  });

  it("sends the Referer a referer-bound token needs, and none otherwise", () => {
    const gis = byId({
      name: "gis",
      headerName: "X-Esri-Authorization",
      headerPrefix: "Bearer",
      referer: "https://maps.example.org/app",
    });
    expect(gis.curl).toBe(
      `curl -H "X-Esri-Authorization: Bearer $(tokentray token gis)" -H "Referer: https://maps.example.org/app" ${EXAMPLE_URL}`,
    );
    // The Python client sends the connection's header and Referer itself.
    expect(gis.python).toContain(`auth=tokentray.requests.Auth("gis")`);
    expect(gis.powershell).toContain(
      `@{ "X-Esri-Authorization" = "Bearer $token"; "Referer" = "https://maps.example.org/app" }`,
    );
    expect(gis.env).toBe(
      `export BEARER_TOKEN=$(tokentray token gis)\nexport TOKENTRAY_REFERER="https://maps.example.org/app"`,
    );
    expect(gis.exec).toContain("TOKENTRAY_REFERER");
    for (const code of Object.values(bearer)) {
      expect(code).not.toContain("Referer");
      expect(code).not.toContain("REFERER");
    }
    const odd = byId({
      name: "a",
      headerName: "H",
      headerPrefix: "",
      referer: 'https://x/"$y"{z}',
    });
    expect(odd.curl).toContain(`-H "Referer: https://x/\\"\\$y\\"{z}"`);
    expect(odd.powershell).toContain('"Referer" = "https://x/`"`$y`"{z}"');
  });

  it("never contains a token, only the CLI call", () => {
    for (const s of buildSnippets({ name: "n", headerName: "Authorization", headerPrefix: "" })) {
      expect(s.code).toMatch(/tokentray (token|exec) n\b|tokentray\.requests\.Auth\("n"\)/);
    }
  });
});

describe("shellWord", () => {
  it("leaves slugs alone and single-quotes anything else", () => {
    expect(shellWord("work-api")).toBe("work-api");
    expect(shellWord("it's")).toBe(`'it'\\''s'`);
  });
});
