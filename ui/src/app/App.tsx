import { Mark } from "../components/Mark";
import { ConnectionsPage } from "../features/connections/ConnectionsPage";

import "./App.css";

/** The window's shell: a title bar strip and the one page there is so far. */
export function App() {
  return (
    <div class="shell">
      <header class="topbar">
        <Mark size={26} />
        <span class="topbar__name">Tokentray</span>
      </header>
      <main class="shell__main">
        <ConnectionsPage />
      </main>
    </div>
  );
}
