// Ready-to-paste snippets that fetch a fresh token at run time, through the CLI or the Python
// client (clients/python, package `tokentray`). They never contain a token: only the
// connection's name and how its header is spelled.

export interface SnippetSource {
  /** The connection's name (a slug). */
  name: string;
  headerName: string;
  /** "Bearer", "Basic", or "" when the header carries the bare token. */
  headerPrefix: string;
  /** The `Referer` a referer-bound token (ArcGIS) must be sent with, if any. */
  referer?: string | null;
}

export interface Snippet {
  id: "curl" | "python" | "powershell" | "env" | "exec";
  title: string;
  language: string;
  code: string;
}

/** Where the snippets send their request; the person replaces it with their API. */
export const EXAMPLE_URL = "https://api.example.com/";

const SLUG = /^[a-z0-9][a-z0-9-]*$/;

/** A word for a POSIX shell: as is when it is a plain slug, else single-quoted. */
export function shellWord(word: string): string {
  return SLUG.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Text safe inside a POSIX shell's double quotes. */
const shellDouble = (text: string): string => text.replace(/[\\"$`]/g, (c) => `\\${c}`);

/** Text safe inside a plain Python string with double quotes. */
const pythonPlain = (text: string): string => text.replace(/[\\"]/g, (c) => `\\${c}`);

/** Text safe inside a PowerShell string with double quotes. */
const powershellDouble = (text: string): string => text.replace(/[`"$]/g, (c) => `\`${c}`);

/** A word for PowerShell: as is when it is a plain slug, else single-quoted. */
const powershellWord = (word: string): string =>
  SLUG.test(word) ? word : `'${word.replaceAll("'", "''")}'`;

const prefixed = (prefix: string, token: string): string =>
  prefix === "" ? token : `${prefix} ${token}`;

export function buildSnippets(source: SnippetSource): Snippet[] {
  const { name, headerName, headerPrefix } = source;
  const referer = source.referer ?? null;
  const cli = `tokentray token ${shellWord(name)}`;
  const curlReferer = referer === null ? "" : ` -H "Referer: ${shellDouble(referer)}"`;
  const psReferer = referer === null ? "" : `; "Referer" = "${powershellDouble(referer)}"`;
  const envReferer = referer === null ? "" : `\nexport TOKENTRAY_REFERER="${shellDouble(referer)}"`;
  const execSees =
    referer === null
      ? "BEARER_TOKEN and TOKENTRAY_HEADER"
      : "BEARER_TOKEN, TOKENTRAY_HEADER and TOKENTRAY_REFERER";
  return [
    {
      id: "curl",
      title: "curl",
      language: "sh",
      code: `curl -H "${shellDouble(headerName)}: ${prefixed(shellDouble(headerPrefix), `$(${cli})`)}"${curlReferer} ${EXAMPLE_URL}`,
    },
    {
      id: "python",
      title: "Python requests",
      language: "python",
      // The client sends the connection's own header and Referer, and renews a refused token.
      code: [
        "# The tokentray package: pip install ./clients/python (in Tokentray's source)",
        "import requests",
        "import tokentray",
        "",
        `response = requests.get("${EXAMPLE_URL}", auth=tokentray.requests.Auth("${pythonPlain(name)}"))`,
        "response.raise_for_status()",
      ].join("\n"),
    },
    {
      id: "powershell",
      title: "PowerShell",
      language: "powershell",
      code: [
        `$token = tokentray token ${powershellWord(name)}`,
        `Invoke-RestMethod -Uri "${EXAMPLE_URL}" -Headers @{ "${powershellDouble(headerName)}" = "${prefixed(powershellDouble(headerPrefix), "$token")}"${psReferer} }`,
      ].join("\n"),
    },
    {
      id: "env",
      title: "Environment variable",
      language: "sh",
      code: `export BEARER_TOKEN=$(${cli})${envReferer}`,
    },
    {
      id: "exec",
      title: "Run a command with the token",
      language: "sh",
      code: `tokentray exec ${shellWord(name)} -- python my_script.py  # sees ${execSees}`,
    },
  ];
}
