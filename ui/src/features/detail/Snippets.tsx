import { notify } from "../../app/notices";
import { Button } from "../../components/Button";
import { copyText } from "../../ipc/client";
import type { Connection } from "../../ipc/client";
import { EXAMPLE_URL, buildSnippets } from "../../lib/snippets";

/** Ready-to-paste snippets; they call the CLI, so they never hold the token itself. */
export function Snippets({ connection: c }: { connection: Connection }) {
  const snippets = buildSnippets({
    name: c.name,
    headerName: c.header_name,
    headerPrefix: c.header_prefix,
    referer: c.referer,
  });
  const copy = (title: string, code: string) => {
    copyText(code).then(
      () => {
        notify("info", `${title} snippet copied`);
      },
      () => {
        notify("error", "Could not copy; select the text and copy it yourself");
      },
    );
  };
  return (
    <section class="card snippets" aria-labelledby="snippets-title" data-testid="snippets">
      <h2 id="snippets-title">Use it from other tools</h2>
      <p class="muted">
        Each snippet asks Tokentray for a fresh token when it runs. Replace{" "}
        <code>{EXAMPLE_URL}</code> with your API.
      </p>
      {snippets.map((s) => (
        <div class="snippet" key={s.id}>
          <div class="snippet__head">
            <h3 id={`snippet-${s.id}`}>{s.title}</h3>
            <Button
              size="small"
              onClick={() => {
                copy(s.title, s.code);
              }}
              testId={`copy-snippet-${s.id}`}
              label={`Copy the ${s.title} snippet`}
            >
              Copy
            </Button>
          </div>
          <pre
            class="code"
            aria-labelledby={`snippet-${s.id}`}
            data-testid={`snippet-${s.id}`}
            tabIndex={0}
          >
            <code>{s.code}</code>
          </pre>
        </div>
      ))}
    </section>
  );
}
