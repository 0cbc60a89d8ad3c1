import { Button } from "../../components/Button";
import { ConnectionTable } from "./ConnectionTable";
import { EmptyState } from "./EmptyState";
import { summary } from "./labels";
import { useConnections } from "./useConnections";

import "./connections.css";

/** The list of connections, or what to do when there are none or they cannot be read. */
export function ConnectionsPage() {
  const { state, reload } = useConnections();
  switch (state.phase) {
    case "loading":
      return (
        <p class="page-note" role="status" aria-busy="true">
          Loading connections…
        </p>
      );
    case "failed":
      return (
        <section class="problem" role="alert" aria-labelledby="problem-title">
          <h2 id="problem-title">Could not read the connections</h2>
          <p class="problem__message">{state.error.message}</p>
          <Button onClick={reload}>Try again</Button>
        </section>
      );
    case "ready":
      if (state.connections.length === 0) return <EmptyState />;
      return (
        <section aria-labelledby="connections-title">
          <div class="page-head">
            <h1 id="connections-title">Connections</h1>
            <p class="page-head__summary">{summary(state.connections)}</p>
          </div>
          <ConnectionTable connections={state.connections} />
        </section>
      );
  }
}
