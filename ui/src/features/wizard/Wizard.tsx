// The add/edit wizard: for a new connection, pick a preset, then fill in the form generated
// from the kind's field definitions; for an existing one, the form with the stored values.

import { useEffect, useState } from "preact/hooks";

import { Button } from "../../components/Button";
import { KindIcon } from "../../components/KindIcon";
import { connectionForm, failureText, listKinds, listPresets } from "../../ipc/client";
import type { Connection, EditForm, KindInfo, Preset } from "../../ipc/client";
import { ConnectionForm } from "./ConnectionForm";
import type { FormSetup } from "./formModel";

import "./wizard.css";

type Loaded =
  | { phase: "loading" }
  | { phase: "failed"; message: string }
  | { phase: "ready"; kinds: KindInfo[]; presets: Preset[]; edit: EditForm | null };

export type WizardProps =
  | { mode: "add"; onDone: (saved: Connection | null) => void }
  | { mode: "edit"; name: string; onDone: (saved: Connection | null) => void };

/** The preset order of the product: the named services first, then the generic kinds. */
export const PRESET_ORDER = [
  "arcgis-online",
  "arcgis-enterprise",
  "itkpd",
  "cdse",
  "oauth2",
  "basic",
  "static",
];

export function sortPresets(presets: readonly Preset[]): Preset[] {
  const rank = (p: Preset) => {
    const at = PRESET_ORDER.indexOf(p.id);
    return at === -1 ? PRESET_ORDER.length : at;
  };
  return [...presets].sort((a, b) => rank(a) - rank(b));
}

export function Wizard(props: WizardProps) {
  const [loaded, setLoaded] = useState<Loaded>({ phase: "loading" });
  const [preset, setPreset] = useState<Preset | null>(null);
  const editName = props.mode === "edit" ? props.name : null;

  useEffect(() => {
    const load = Promise.all([
      listKinds(),
      editName === null ? listPresets() : Promise.resolve([]),
      editName === null ? Promise.resolve(null) : connectionForm(editName),
    ]);
    load.then(
      ([kinds, presets, edit]) => {
        setLoaded({ phase: "ready", kinds, presets: sortPresets(presets), edit });
      },
      (failure: unknown) => {
        setLoaded({ phase: "failed", message: failureText(failure) });
      },
    );
  }, [editName]);

  // Each step starts at its heading, so screen readers announce where the person is.
  useEffect(() => {
    document.getElementById("wizard-title")?.focus();
  }, [preset]);

  const title = props.mode === "add" ? "Add a connection" : `Edit ${props.name}`;
  const cancel = () => {
    props.onDone(null);
  };

  let body;
  if (loaded.phase === "loading") {
    body = (
      <p class="page-note" role="status" aria-busy="true">
        Loading…
      </p>
    );
  } else if (loaded.phase === "failed") {
    body = (
      <div class="problem" role="alert">
        <p class="problem__message">{loaded.message}</p>
        <Button onClick={cancel}>Back to the list</Button>
      </div>
    );
  } else if (loaded.edit !== null) {
    const kind = loaded.kinds.find((k) => k.kind === loaded.edit?.kind);
    body =
      kind === undefined ? (
        <p role="alert">This app does not know the kind {loaded.edit.kind}.</p>
      ) : (
        <ConnectionForm
          setup={{ mode: "edit", kind, edit: loaded.edit }}
          onBack={cancel}
          onSaved={props.onDone}
        />
      );
  } else if (preset === null) {
    body = (
      <PresetPicker
        presets={loaded.presets}
        kinds={loaded.kinds}
        onPick={setPreset}
        onCancel={cancel}
      />
    );
  } else {
    const kind = loaded.kinds.find((k) => k.kind === preset.kind);
    const setup: FormSetup | null = kind === undefined ? null : { mode: "add", kind, preset };
    body =
      setup === null ? (
        <p role="alert">This app does not know the kind {preset.kind}.</p>
      ) : (
        <>
          <p class="wizard__chosen">
            <KindIcon kind={preset.kind} />
            <span>
              <strong>{preset.title}</strong>
              <span class="muted"> · {preset.summary}</span>
            </span>
          </p>
          <ConnectionForm
            key={preset.id}
            setup={setup}
            onBack={() => {
              setPreset(null);
            }}
            onSaved={props.onDone}
          />
        </>
      );
  }

  return (
    <section class="wizard" aria-labelledby="wizard-title" data-testid="wizard">
      <div class="page-head">
        <h1 id="wizard-title" tabIndex={-1}>
          {title}
        </h1>
        {props.mode === "add" && (
          <p class="page-head__summary" data-testid="wizard-step">
            Step {preset === null ? 1 : 2} of 2:{" "}
            {preset === null ? "choose a service" : "fill in the details"}
          </p>
        )}
      </div>
      {body}
    </section>
  );
}

function PresetPicker({
  presets,
  kinds,
  onPick,
  onCancel,
}: {
  presets: Preset[];
  kinds: KindInfo[];
  onPick: (preset: Preset) => void;
  onCancel: () => void;
}) {
  return (
    <div class="presets-step">
      <ul class="presets" aria-label="Services">
        {presets.map((p, i) => (
          <li key={p.id}>
            <button
              type="button"
              class="preset"
              data-testid={`preset-${p.id}`}
              // The first card takes focus, so the keyboard starts where the choice is.
              data-autofocus={i === 0 ? true : undefined}
              onClick={() => {
                onPick(p);
              }}
            >
              <KindIcon kind={p.kind} />
              <span class="preset__text">
                <span class="preset__title">{p.title}</span>
                <span class="preset__summary">{p.summary}</span>
                <span class="preset__kind">
                  {kinds.find((k) => k.kind === p.kind)?.title ?? p.kind}
                </span>
              </span>
            </button>
          </li>
        ))}
      </ul>
      <div>
        <Button onClick={onCancel} testId="wizard-cancel">
          Cancel
        </Button>
      </div>
    </div>
  );
}
