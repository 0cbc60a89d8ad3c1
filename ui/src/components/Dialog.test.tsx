import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { Dialog } from "./Dialog";
import { Menu } from "./Menu";

let host: HTMLElement;

beforeEach(() => {
  host = document.createElement("div");
  document.body.append(host);
});

afterEach(() => {
  render(null, host);
  host.remove();
});

const key = (target: Element | null, k: string, shiftKey = false) => {
  target?.dispatchEvent(new KeyboardEvent("keydown", { key: k, shiftKey, bubbles: true }));
};

describe("Dialog", () => {
  it("takes focus, keeps Tab inside, closes on Escape and gives focus back", async () => {
    const opener = document.createElement("button");
    document.body.append(opener);
    opener.focus();
    const onClose = vi.fn();
    await act(() => {
      render(
        <Dialog title="Remove work?" testId="d" onClose={onClose}>
          <button type="button" id="first">
            Keep
          </button>
          <button type="button" id="last">
            Remove
          </button>
        </Dialog>,
        host,
      );
    });
    const dialog = host.querySelector("[role=dialog]");
    expect(dialog?.getAttribute("aria-modal")).toBe("true");
    expect(dialog?.getAttribute("aria-labelledby")).toBe(host.querySelector("h2")?.id);
    expect(document.activeElement?.id).toBe("first");

    key(document.activeElement, "Tab", true);
    expect(document.activeElement?.id).toBe("last");
    key(document.activeElement, "Tab");
    expect(document.activeElement?.id).toBe("first");

    key(document.activeElement, "Escape");
    expect(onClose).toHaveBeenCalledTimes(1);
    await act(() => {
      render(null, host);
    });
    expect(document.activeElement).toBe(opener);
    opener.remove();
  });
});

describe("Menu", () => {
  it("opens on the button, moves with arrow keys and returns to the button on Escape", async () => {
    const chosen = vi.fn();
    await act(() => {
      render(
        <Menu
          label="More actions for work"
          testId="m"
          items={[
            { id: "a", label: "Refresh", onSelect: chosen },
            { id: "b", label: "Disabled", onSelect: chosen, disabled: true },
            { id: "c", label: "Remove", onSelect: chosen },
          ]}
        />,
        host,
      );
    });
    const button = host.querySelector<HTMLButtonElement>("[data-testid=m]");
    await act(() => {
      button?.focus();
      key(button, "ArrowDown");
    });
    expect(document.activeElement?.getAttribute("data-testid")).toBe("m-a");
    key(document.activeElement, "ArrowDown");
    expect(document.activeElement?.getAttribute("data-testid")).toBe("m-c");
    key(document.activeElement, "ArrowDown");
    expect(document.activeElement?.getAttribute("data-testid")).toBe("m-a");
    key(document.activeElement, "End");
    expect(document.activeElement?.getAttribute("data-testid")).toBe("m-c");
    await act(() => {
      key(document.activeElement, "Escape");
    });
    expect(host.querySelector("[role=menu]")).toBeNull();
    expect(document.activeElement).toBe(button);
    expect(chosen).not.toHaveBeenCalled();
  });
});
