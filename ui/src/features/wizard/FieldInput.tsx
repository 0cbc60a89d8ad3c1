// One form field generated from its definition: the right input for its type, its label with a
// required mark, help text, and the problem next to it.

import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";

import type { FieldInfo } from "../../ipc/client";

export interface FieldProps {
  field: FieldInfo;
  value: string;
  problem: string | undefined;
  onInput: (value: string) => void;
  /** Focus left the field, for `next` (null: nowhere in the page). */
  onBlur: (next: EventTarget | null) => void;
  /** Secrets in edit mode: a value is stored, so empty means "keep it". */
  stored?: boolean;
  /** Secrets in edit mode: ask to delete the stored value. */
  forget?: { checked: boolean; onChange: (checked: boolean) => void };
}

export const inputId = (name: string): string => `field-${name}`;

const placeholderFor = (field: FieldInfo): string | undefined => {
  if (field.default !== null && field.default !== "") return `Default: ${field.default}`;
  // Proxies are mostly plain http (https services go through them with CONNECT); a
  // registered redirect URI is a loopback http one.
  if (field.name === "proxy") return "http://proxy.example:3128";
  if (field.name === "redirect_uri") return "http://localhost:8080/callback";
  switch (field.type) {
    case "url":
      return "https://";
    case "date_time":
      return "2026-12-31T23:59:00Z";
    case "map":
      return "key=value, one per line";
    default:
      return undefined;
  }
};

export function FieldRow({
  id,
  label,
  required,
  help,
  problem,
  inline = false,
  children,
  testId,
}: {
  id: string;
  label: string;
  required: boolean;
  help: string;
  problem: string | undefined;
  inline?: boolean;
  children: ComponentChildren;
  testId?: string;
}) {
  const labelNode = (
    <label for={id} class="field__label">
      {label}
      {required && (
        <span class="field__required" aria-hidden="true">
          {" "}
          *
        </span>
      )}
    </label>
  );
  return (
    <div
      class={`field${inline ? " field--inline" : ""}${problem !== undefined ? " field--invalid" : ""}`}
      data-testid={testId}
    >
      {inline ? (
        <div class="field__inline">
          {children}
          {labelNode}
        </div>
      ) : (
        <>
          {labelNode}
          {children}
        </>
      )}
      {help !== "" && (
        <p class="field__help" id={`${id}-help`}>
          {help}
        </p>
      )}
      {problem !== undefined && (
        <p
          class="field__problem"
          id={`${id}-problem`}
          data-testid={`problem-${id.replace(/^field-/, "")}`}
        >
          {problem}
        </p>
      )}
    </div>
  );
}

export function describedBy(
  id: string,
  help: string,
  problem: string | undefined,
): string | undefined {
  const ids = [
    help !== "" ? `${id}-help` : null,
    problem !== undefined ? `${id}-problem` : null,
  ].filter((x): x is string => x !== null);
  return ids.length === 0 ? undefined : ids.join(" ");
}

export function FieldInput({
  field,
  value,
  problem,
  onInput,
  onBlur,
  stored = false,
  forget,
}: FieldProps) {
  const id = inputId(field.name);
  const needed = field.required && field.default === null && field.type !== "bool";
  const common = {
    id,
    "data-testid": id,
    "aria-invalid": problem !== undefined,
    "aria-required": needed && !stored,
    "aria-describedby": describedBy(id, field.help, problem),
    onBlur: (e: FocusEvent) => {
      onBlur(e.relatedTarget);
    },
  };
  const text = (e: Event) => {
    onInput((e.currentTarget as HTMLInputElement).value);
  };

  let control;
  switch (field.type) {
    case "bool":
      control = (
        <input
          {...common}
          type="checkbox"
          checked={value === "true"}
          onChange={(e) => {
            onInput(e.currentTarget.checked ? "true" : "false");
          }}
        />
      );
      break;
    case "choice":
      control = (
        <select {...common} value={value} onChange={text}>
          {(!needed || value === "") && (
            <option value="">
              {field.default !== null
                ? `Default (${field.default})`
                : needed
                  ? "Choose…"
                  : "Not set"}
            </option>
          )}
          {field.options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      );
      break;
    case "map":
      control = (
        <textarea
          {...common}
          rows={3}
          value={value}
          placeholder={placeholderFor(field)}
          spellcheck={false}
          onInput={text}
        />
      );
      break;
    case "secret":
      control = (
        <SecretInput
          common={common}
          value={value}
          stored={stored && forget?.checked !== true}
          label={field.label}
          onInput={text}
        />
      );
      break;
    default:
      control =
        field.type === "url" ? (
          <input
            {...common}
            type="url"
            spellcheck={false}
            autocomplete="off"
            value={value}
            placeholder={placeholderFor(field)}
            onInput={text}
          />
        ) : (
          <input
            {...common}
            type="text"
            inputMode={field.type === "integer" ? "numeric" : undefined}
            spellcheck={false}
            autocomplete="off"
            value={value}
            placeholder={placeholderFor(field)}
            onInput={text}
          />
        );
  }

  return (
    <FieldRow
      id={id}
      label={field.label}
      required={needed}
      help={field.help}
      problem={problem}
      inline={field.type === "bool"}
      testId={`fieldrow-${field.name}`}
    >
      {control}
      {forget !== undefined && (
        <label class="field__forget">
          <input
            type="checkbox"
            checked={forget.checked}
            data-testid={`forget-${field.name}`}
            onChange={(e) => {
              forget.onChange(e.currentTarget.checked);
            }}
          />
          Forget the stored {field.label.toLowerCase()}
        </label>
      )}
    </FieldRow>
  );
}

function SecretInput({
  common,
  value,
  stored,
  label,
  onInput,
}: {
  common: Record<string, unknown>;
  value: string;
  stored: boolean;
  label: string;
  onInput: (e: Event) => void;
}) {
  const [shown, setShown] = useState(false);
  const placeholder = stored ? "stored — leave empty to keep" : undefined;
  return (
    <div class="secret-input">
      {shown ? (
        <input
          {...common}
          type="text"
          autocomplete="off"
          spellcheck={false}
          value={value}
          placeholder={placeholder}
          onInput={onInput}
        />
      ) : (
        <input
          {...common}
          type="password"
          autocomplete="off"
          value={value}
          placeholder={placeholder}
          onInput={onInput}
        />
      )}
      <button
        type="button"
        class="button button--small secret-input__toggle"
        aria-pressed={shown}
        aria-label={shown ? `Hide the ${label.toLowerCase()}` : `Show the ${label.toLowerCase()}`}
        data-testid={`show-${String(common.id).replace(/^field-/, "")}`}
        onClick={() => {
          setShown(!shown);
        }}
      >
        {shown ? "Hide" : "Show"}
      </button>
    </div>
  );
}
