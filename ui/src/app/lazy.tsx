// Parts of the window the first screen does not need (the wizard, the detail view, the login,
// settings and remove dialogs) load on first use, so the list paints sooner: the first script
// holds only the shell and the list. Once the list is painted, the rest is fetched in the
// background (`preload`), so opening a part later does not wait for its script either.

import type { ComponentType, JSX } from "preact";
import { useEffect, useState } from "preact/hooks";

/** A component whose code is loaded on first render. Renders nothing until it is loaded. */
export interface Lazy<P> {
  (props: P): JSX.Element | null;
  /** Starts loading the code now (idempotent). */
  preload: () => Promise<unknown>;
}

/** Wraps the dynamic `import()` of a component in a component that renders once it is there. */
export function lazy<P extends object>(load: () => Promise<ComponentType<P>>): Lazy<P> {
  let loaded: ComponentType<P> | null = null;
  let loading: Promise<ComponentType<P>> | null = null;
  const preload = () => {
    loading ??= load().then((component) => {
      loaded = component;
      return component;
    });
    return loading;
  };
  function LazyComponent(props: P): JSX.Element | null {
    const [, setReady] = useState(loaded !== null);
    useEffect(() => {
      if (loaded !== null) return;
      let gone = false;
      preload().then(
        () => {
          if (!gone) setReady(true);
        },
        (failure: unknown) => {
          console.error("could not load a part of the window:", failure);
        },
      );
      return () => {
        gone = true;
      };
    }, []);
    const Component = loaded;
    return Component === null ? null : <Component {...props} />;
  }
  LazyComponent.preload = preload;
  return LazyComponent;
}
