import { useState } from "preact/hooks";

import { Button } from "../../components/Button";
import type { ListActions } from "./actions";
import { ConnectionTable } from "./ConnectionTable";
import { EmptyState } from "./EmptyState";
import { summary } from "./labels";
import { SEARCH_THRESHOLD, visibleConnections } from "./listView";
import type { SortKey } from "./listView";
import { useConnections } from "./useConnections";

import "./connections.css";

/** The list of connections, or what to do when there are none or they cannot be read. */
export function ConnectionsPage({ actions }: { actions: ListActions }) {
  const { state, reload } = useConnections();
  const [query, setQuery] = useState("");
  const [sort, setSort] = useState<SortKey>("name");
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
    case "ready": {
      const all = state.connections;
      if (all.length === 0) return <EmptyState onAdd={actions.add} />;
      const many = all.length > SEARCH_THRESHOLD;
      const shown = visibleConnections(all, many ? query : "", sort);
      return (
        <section aria-labelledby="connections-title">
          <div class="page-head">
            <h1 id="connections-title">Connections</h1>
            <p class="page-head__summary">{summary(all)}</p>
          </div>
          {many && (
            <div class="list-tools" role="search">
              <label class="list-tools__search">
                <span class="visually-hidden">Search connections</span>
                <input
                  type="search"
                  placeholder="Search by name, kind, status or account"
                  value={query}
                  data-testid="search"
                  onInput={(e) => {
                    setQuery(e.currentTarget.value);
                  }}
                />
              </label>
              <label class="list-tools__sort">
                Sort by
                <select
                  value={sort}
                  data-testid="sort"
                  onChange={(e) => {
                    setSort(e.currentTarget.value as SortKey);
                  }}
                >
                  <option value="name">Name</option>
                  <option value="expiry">Expiry</option>
                  <option value="status">Status</option>
                </select>
              </label>
            </div>
          )}
          {shown.length === 0 ? (
            <p class="page-note" role="status" data-testid="no-matches">
              No connection matches “{query.trim()}”.
            </p>
          ) : (
            <ConnectionTable connections={shown} actions={actions} />
          )}
          {many && shown.length > 0 && (
            <p class="visually-hidden" role="status">
              {shown.length === all.length
                ? `${all.length} connections`
                : `${shown.length} of ${all.length} connections shown`}
            </p>
          )}
        </section>
      );
    }
  }
}
