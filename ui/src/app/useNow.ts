// One shared clock for every live countdown. A single timer ticks on whole wall-clock seconds,
// so all rows turn over together, and it stops when nothing on screen needs it.

import { useEffect, useState } from "preact/hooks";

type Subscriber = (now: number) => void;

const subscribers = new Set<Subscriber>();
let timer: ReturnType<typeof setTimeout> | undefined;

function schedule(): void {
  timer = setTimeout(tick, 1_000 - (Date.now() % 1_000));
}

function tick(): void {
  const now = Date.now();
  for (const subscriber of subscribers) subscriber(now);
  schedule();
}

/** The current time in epoch ms, re-rendering the caller once a second. */
export function useNow(): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    subscribers.add(setNow);
    if (subscribers.size === 1) schedule();
    return () => {
      subscribers.delete(setNow);
      if (subscribers.size === 0) clearTimeout(timer);
    };
  }, []);
  return now;
}
