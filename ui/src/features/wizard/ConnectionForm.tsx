// Step 2 of the wizard, and the whole of "edit": the generated form with the name, client-side
// checks on blur, the backend's checks next to each field, "Test connection" and Save.

import { useEffect, useRef, useState } from "preact/hooks";

import { notify } from "../../app/notices";
import { Button } from "../../components/Button";
import {
  addConnection,
  checkConnection,
  editConnection,
  failureText,
  testConnection,
  toIpcError,
} from "../../ipc/client";
import type { Connection, FieldInfo, TestOutcome } from "../../ipc/client";
import { formatCountdown } from "../../lib/countdown";
import { identityLines } from "../connections/labels";
import { FieldInput, FieldRow, describedBy, inputId } from "./FieldInput";
import {
  checkName,
  draftProblems,
  formFields,
  initialForm,
  movedDestinations,
  problemsByField,
  secretIsStored,
  suggestName,
  toChange,
  toInput,
  validateForm,
} from "./formModel";
import type { FormSetup, FormState, Problems } from "./formModel";
import { ALLOW_HTTP_WARNING } from "../../lib/warnings";

/** What a toast says after saving; a new connection without a token is told how to get one. */
function savedMessage(mode: FormSetup["mode"], saved: Connection, moved: boolean): string {
  if (mode === "edit" && moved)
    return `Saved ${saved.label}. Its old secrets and tokens were deleted; it signs in anew at the new address.`;
  if (mode === "edit") return `Saved ${saved.label}`;
  return saved.status === "signed_out"
    ? `Added ${saved.label}. Use Log in on its row to get the first token.`
    : `Added ${saved.label}`;
}

/** `problems` without the one of `field`, which the person is changing. */
function without(problems: Problems, field: string): Problems {
  return Object.fromEntries(Object.entries(problems).filter(([name]) => name !== field));
}

type TestState = { phase: "idle" } | { phase: "running" } | { phase: "done"; outcome: TestOutcome };

export function ConnectionForm({
  setup,
  onBack,
  onSaved,
}: {
  setup: FormSetup;
  /** Back to the presets (add) or the previous page (edit). */
  onBack: () => void;
  onSaved: (saved: Connection) => void;
}) {
  const [state, setState] = useState<FormState>(() => initialForm(setup));
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const [server, setServer] = useState<Problems>({});
  const [nameEdited, setNameEdited] = useState(setup.mode === "edit");
  const [advancedOpen, setAdvancedOpen] = useState(false);
  const [test, setTest] = useState<TestState>({ phase: "idle" });
  const [saving, setSaving] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  // A 2FA code for "Test connection" only; never stored.
  const [totp, setTotp] = useState("");
  const checks = useRef(0);
  const form = useRef<HTMLFormElement>(null);
  const focusNext = useRef<string | null>(null);
  const [focusTick, setFocusTick] = useState(0);

  const { main, advanced } = formFields(setup);
  const visible = new Set(["name", ...main.map((f) => f.name), ...advanced.map((f) => f.name)]);
  const client = validateForm(setup, state);
  const shown = (field: string): string | undefined =>
    touched.has(field) || submitted ? (client[field] ?? server[field]) : server[field];
  const hiddenProblems = Object.entries(server).filter(([field]) => !visible.has(field));
  const moved = movedDestinations(setup, state);
  const storedSecrets =
    setup.mode === "edit"
      ? setup.kind.fields.filter(
          (f) => f.type === "secret" && setup.edit.stored_secrets.includes(f.name),
        )
      : [];

  const askBackend = async (next: FormState): Promise<Problems> => {
    const check = ++checks.current;
    try {
      const found = problemsByField(await checkConnection(toInput(setup, next)));
      const problems = draftProblems(setup, next, found);
      if (check === checks.current) setServer(problems);
      return problems;
    } catch (failure) {
      // The check is a help, not a gate: a failing check leaves the save to say what is wrong.
      console.warn("could not check the connection:", failureText(failure));
      return {};
    }
  };

  const blur = (field: string, next: EventTarget | null) => {
    if (leavesForAction(next)) return;
    setTouched((t) => new Set(t).add(field));
    void askBackend(state);
  };

  const setValue = (field: string, value: string) => {
    setState((s) => {
      const next = { ...s, values: { ...s.values, [field]: value } };
      if (field === "label" && !nameEdited && setup.mode === "add") next.name = suggestName(value);
      return next;
    });
    setServer((p) => without(p, field));
  };

  const setSecret = (field: string, value: string) => {
    setState((s) => ({ ...s, secrets: { ...s.secrets, [field]: value } }));
    setServer((p) => without(p, field));
  };

  const setForget = (field: string, forget: boolean) => {
    setState((s) => ({
      ...s,
      forget: forget ? [...s.forget, field] : s.forget.filter((f) => f !== field),
    }));
  };

  /** Focuses the first field with a problem, opening "Advanced" when it is in there. */
  const focusFirst = (problems: Problems) => {
    const order = ["name", ...main.map((f) => f.name), ...advanced.map((f) => f.name)];
    const first = order.find((f) => problems[f] !== undefined);
    if (first === undefined) return;
    if (advanced.some((f) => f.name === first)) setAdvancedOpen(true);
    focusNext.current = first;
    setFocusTick((n) => n + 1);
  };

  // Focus moves after the render that shows the problem (and opens "Advanced" if needed).
  useEffect(() => {
    const field = focusNext.current;
    if (field === null) return;
    focusNext.current = null;
    const input = form.current?.querySelector<HTMLElement>(`#${inputId(field)}`);
    // Centred, so its label and its problem are in view with it (focus alone scrolls it
    // just to the edge).
    input?.focus({ preventScroll: true });
    input?.scrollIntoView({ block: "center" });
  }, [focusTick]);

  /** Client checks, then the backend's; true when both pass. */
  const readyToSend = async (): Promise<boolean> => {
    setSubmitted(true);
    setFormError(null);
    if (Object.keys(client).length > 0) {
      focusFirst(client);
      return false;
    }
    const problems = await askBackend(state);
    if (Object.keys(problems).length > 0) {
      focusFirst(problems);
      if (Object.keys(problems).some((f) => !visible.has(f)))
        setFormError("The service settings have a problem; see below.");
      return false;
    }
    return true;
  };

  const runTest = async () => {
    if (!(await readyToSend())) return;
    setTest({ phase: "running" });
    try {
      setTest({
        phase: "done",
        outcome: await testConnection(
          toInput(setup, state),
          totp.trim() === "" ? null : totp.trim(),
        ),
      });
    } catch (failure) {
      const error = toIpcError(failure);
      setServer(problemsByField(error.fields));
      setTest({
        phase: "done",
        outcome: {
          ok: false,
          needs_person: false,
          identity: null,
          expires_at: null,
          message: error.message,
        },
      });
    }
  };

  const save = async (event: Event) => {
    event.preventDefault();
    if (saving || !(await readyToSend())) return;
    setSaving(true);
    try {
      const saved =
        setup.mode === "add"
          ? await addConnection(toInput(setup, state))
          : await editConnection(setup.edit.name, toChange(setup.edit, setup.kind, state));
      notify("info", savedMessage(setup.mode, saved, moved.length > 0));
      setSaving(false);
      onSaved(saved);
    } catch (failure) {
      const error = toIpcError(failure);
      const problems = problemsByField(error.fields);
      setServer(problems);
      focusFirst(problems);
      setFormError(error.message);
      setSaving(false);
    }
  };

  const renderField = (field: FieldInfo) => {
    const isSecret = field.type === "secret";
    const stored = secretIsStored(setup, state, field.name);
    const hasStored = setup.mode === "edit" && setup.edit.stored_secrets.includes(field.name);
    return (
      <FieldInput
        key={field.name}
        field={field}
        value={isSecret ? (state.secrets[field.name] ?? "") : (state.values[field.name] ?? "")}
        problem={shown(field.name)}
        stored={stored}
        onInput={(v) => {
          if (isSecret) setSecret(field.name, v);
          else setValue(field.name, v);
        }}
        onBlur={(next) => {
          blur(field.name, next);
        }}
        {...(isSecret && hasStored && moved.length === 0
          ? {
              forget: {
                checked: state.forget.includes(field.name),
                onChange: (checked: boolean) => {
                  setForget(field.name, checked);
                },
              },
            }
          : {})}
      />
    );
  };

  const nameProblem = setup.mode === "add" ? shown("name") : undefined;
  const [labelField, ...rest] = main[0]?.name === "label" ? main : [undefined, ...main];

  return (
    <form
      ref={form}
      class="connection-form"
      onSubmit={(e) => void save(e)}
      noValidate
      data-testid="connection-form"
    >
      <p class="field__help">
        Fields marked <span aria-hidden="true">*</span>
        <span class="visually-hidden">as required</span> are required. Secrets go straight to your
        keychain.
      </p>
      {formError !== null && (
        <p class="form-error" role="alert" data-testid="form-error">
          {formError}
        </p>
      )}
      {moved.length > 0 && <DestinationNotice moved={moved} secrets={storedSecrets} />}
      {state.values.allow_http === "true" && (
        <p class="form-warning" role="note" data-testid="allow-http-warning">
          {ALLOW_HTTP_WARNING}
        </p>
      )}
      {hiddenProblems.length > 0 && (
        <ul class="form-error" data-testid="form-problems">
          {hiddenProblems.map(([field, message]) => (
            <li key={field}>
              <code>{field}</code>: {message}
            </li>
          ))}
        </ul>
      )}
      <fieldset class="form-section">
        <legend>Connection</legend>
        {labelField !== undefined && renderField(labelField)}
        {setup.mode === "add" ? (
          <FieldRow
            id="field-name"
            label="Name"
            required
            help="Lower-case letters, digits and dashes. Scripts ask for the token by this name, e.g. tokentray token NAME."
            problem={nameProblem}
          >
            <input
              id="field-name"
              data-testid="field-name"
              type="text"
              autocomplete="off"
              spellcheck={false}
              value={state.name}
              aria-required
              aria-invalid={nameProblem !== undefined}
              aria-describedby={describedBy("field-name", "x", nameProblem)}
              onInput={(e) => {
                const name = e.currentTarget.value;
                setNameEdited(name !== "");
                setState((s) => ({ ...s, name }));
                setServer((p) => without(p, "name"));
              }}
              onBlur={(e) => {
                if (leavesForAction(e.relatedTarget)) return;
                if (checkName(state.name) === null) blur("name", e.relatedTarget);
                else setTouched((t) => new Set(t).add("name"));
              }}
            />
          </FieldRow>
        ) : (
          <p class="connection-form__name">
            Name: <code data-testid="field-name">{setup.edit.name}</code>
          </p>
        )}
        {rest.map((f) => f !== undefined && renderField(f))}
      </fieldset>
      {advanced.length > 0 && (
        <details
          class="form-section form-section--advanced"
          open={advancedOpen}
          data-testid="advanced"
          onToggle={(e) => {
            setAdvancedOpen(e.currentTarget.open);
          }}
        >
          <summary>Advanced</summary>
          <div class="form-section__body">{advanced.map(renderField)}</div>
        </details>
      )}
      <TestResult test={test} />
      <div class="connection-form__actions">
        <Button onClick={onBack} testId="wizard-back">
          {setup.mode === "add" ? "Back" : "Cancel"}
        </Button>
        <span class="connection-form__spacer" />
        {setup.kind.asks_totp && (
          <label class="connection-form__totp">
            <span>2FA code for the test</span>
            <input
              type="text"
              inputMode="numeric"
              autocomplete="one-time-code"
              maxLength={6}
              value={totp}
              data-testid="test-totp"
              onInput={(e) => {
                setTotp(e.currentTarget.value);
              }}
            />
          </label>
        )}
        <Button
          onClick={() => void runTest()}
          busy={test.phase === "running"}
          testId="test-connection"
        >
          {test.phase === "running" ? "Testing…" : "Test connection"}
        </Button>
        <Button type="submit" variant="primary" busy={saving} testId="save-connection">
          {setup.mode === "add" ? "Save connection" : "Save changes"}
        </Button>
      </div>
    </form>
  );
}

/**
 * Whether focus leaves a field for one of the form's buttons. Such a blur checks nothing: saving
 * and testing check every field anyway, and a problem shown between the press and the release
 * would move the button away from under the pointer, so the click would be lost.
 */
function leavesForAction(next: EventTarget | null): boolean {
  return next instanceof Element && next.closest(".connection-form__actions") !== null;
}

/** A list in words: "a", "a and b", "a, b and c". */
function words(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1] ?? ""}`;
}

/**
 * Why the secrets are asked for again: the edit changes where they would be sent, and a secret
 * given for one address never goes to another.
 */
function DestinationNotice({ moved, secrets }: { moved: FieldInfo[]; secrets: FieldInfo[] }) {
  const changed = words(moved.map((f) => f.label));
  const names = words(secrets.map((f) => f.label.toLowerCase()));
  return (
    <div class="destination-notice" role="alert" data-testid="destination-notice">
      <p>
        <strong>
          You changed {changed}, which decides where this connection sends its secrets.
        </strong>{" "}
        So that they never reach an address you did not give them for, saving deletes the stored{" "}
        {secrets.length > 0 ? `${names} and tokens` : "tokens"}.
      </p>
      <p>
        {secrets.length > 0
          ? `Enter the ${names} again below to keep this connection working.`
          : "Log in again after saving."}
      </p>
    </div>
  );
}

function TestResult({ test }: { test: TestState }) {
  if (test.phase === "idle") return null;
  if (test.phase === "running") {
    return (
      <p class="test-result" role="status" data-testid="test-result">
        Testing: running the login and asking the service who you are…
      </p>
    );
  }
  const { outcome } = test;
  const who = identityLines(outcome.identity);
  const tone = outcome.ok ? "ok" : outcome.needs_person ? "info" : "failed";
  return (
    <div
      class={`test-result test-result--${tone}`}
      role="status"
      data-testid="test-result"
      data-outcome={tone}
    >
      {outcome.ok ? (
        <p>
          <strong>It works.</strong>
          {who !== null &&
            ` Signed in as ${who.primary}${who.secondary !== null ? ` (${who.secondary})` : ""}.`}
          {outcome.expires_at !== null &&
            ` The token is valid for ${formatCountdown(outcome.expires_at, Date.now())}.`}
        </p>
      ) : outcome.needs_person ? (
        <p>
          <strong>This connection signs in through your browser.</strong> Save it, then use Log in.
        </p>
      ) : (
        <p>
          <strong>The test failed.</strong>
        </p>
      )}
      {outcome.message !== "" && <p class="test-result__message">{outcome.message}</p>}
    </div>
  );
}
