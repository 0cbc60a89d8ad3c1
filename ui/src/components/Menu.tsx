// A menu button: the WAI-ARIA menu pattern with arrow keys, Home/End, Escape (back to the
// button) and Tab (closes). Items are buttons, so they work with any click or key.

import { useEffect, useId, useRef, useState } from "preact/hooks";

import "./Menu.css";

/**
 * Places the open menu under its button (or above, when there is no room below) in window
 * coordinates, so that a scrolling container such as the table's card never clips it. Set
 * through the CSSOM, which the content security policy allows (style attributes it does not).
 */
function place(menu: HTMLElement, button: HTMLElement): void {
  const at = button.getBoundingClientRect();
  const height = menu.offsetHeight;
  const below = window.innerHeight - at.bottom;
  menu.style.right = `${Math.max(4, window.innerWidth - at.right)}px`;
  if (below >= height + 8 || below >= at.top) {
    menu.style.top = `${at.bottom + 4}px`;
    menu.style.bottom = "";
  } else {
    menu.style.top = "";
    menu.style.bottom = `${window.innerHeight - at.top + 4}px`;
  }
}

export interface MenuItem {
  id: string;
  label: string;
  onSelect: () => void;
  tone?: "danger";
  disabled?: boolean;
}

export function Menu({
  label,
  testId,
  items,
}: {
  /** The accessible name of the button, e.g. "More actions for Work API". */
  label: string;
  /** The button's test id; each item gets `<testId>-<item id>`. */
  testId: string;
  items: readonly MenuItem[];
}) {
  const [open, setOpen] = useState(false);
  const menuId = useId();
  const trigger = useRef<HTMLButtonElement>(null);
  const list = useRef<HTMLUListElement>(null);
  const root = useRef<HTMLDivElement>(null);
  const focusAt = useRef<"first" | "last">("first");

  const entries = () => [
    ...(list.current?.querySelectorAll<HTMLElement>("[role=menuitem]:not([disabled])") ?? []),
  ];

  useEffect(() => {
    if (!open) return;
    if (list.current !== null && trigger.current !== null) place(list.current, trigger.current);
    const all = entries();
    (focusAt.current === "first" ? all[0] : all[all.length - 1])?.focus();
    const outside = (event: MouseEvent) => {
      if (event.target instanceof Node && root.current?.contains(event.target) !== true)
        setOpen(false);
    };
    // The menu is placed once; anything that moves the button closes it instead of leaving
    // it floating in the wrong place.
    const away = (event: Event) => {
      if (!(event.target instanceof Node && list.current?.contains(event.target) === true))
        setOpen(false);
    };
    document.addEventListener("mousedown", outside);
    window.addEventListener("scroll", away, true);
    window.addEventListener("resize", away);
    return () => {
      document.removeEventListener("mousedown", outside);
      window.removeEventListener("scroll", away, true);
      window.removeEventListener("resize", away);
    };
  }, [open]);

  const openAt = (where: "first" | "last") => {
    focusAt.current = where;
    setOpen(true);
  };

  const closeToButton = () => {
    setOpen(false);
    trigger.current?.focus();
  };

  const onTriggerKey = (event: KeyboardEvent) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      openAt(event.key === "ArrowDown" ? "first" : "last");
    }
  };

  const onMenuKey = (event: KeyboardEvent) => {
    const all = entries();
    const at = all.indexOf(document.activeElement as HTMLElement);
    const move = (to: number) => {
      event.preventDefault();
      all[(to + all.length) % all.length]?.focus();
    };
    switch (event.key) {
      case "ArrowDown":
        move(at + 1);
        break;
      case "ArrowUp":
        move(at - 1);
        break;
      case "Home":
        move(0);
        break;
      case "End":
        move(all.length - 1);
        break;
      case "Escape":
        event.preventDefault();
        event.stopPropagation();
        closeToButton();
        break;
      case "Tab":
        setOpen(false);
        break;
    }
  };

  return (
    <div class="menu" ref={root}>
      <button
        ref={trigger}
        type="button"
        class="button button--ghost button--small menu__trigger"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        aria-label={label}
        data-testid={testId}
        onClick={() => {
          if (open) setOpen(false);
          else openAt("first");
        }}
        onKeyDown={onTriggerKey}
      >
        <span aria-hidden="true">⋯</span>
      </button>
      {open && (
        <ul
          class="menu__list"
          role="menu"
          id={menuId}
          aria-label={label}
          ref={list}
          onKeyDown={onMenuKey}
        >
          {items.map((item) => (
            <li role="none" key={item.id}>
              <button
                type="button"
                role="menuitem"
                tabIndex={-1}
                class={`menu__item${item.tone === "danger" ? " menu__item--danger" : ""}`}
                disabled={item.disabled}
                data-testid={`${testId}-${item.id}`}
                onClick={() => {
                  closeToButton();
                  item.onSelect();
                }}
              >
                {item.label}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
