// Why Preact: a component model we can grow into forms, a wizard and login flows, with hooks
// and JSX like React, for about 5 kB instead of about 45 kB. The webview loads from disk, but
// a small bundle still means a fast first paint and fewer dependencies to audit.

import "./app/theme.css";
import "./components/forms.css";

import { render } from "preact";

import { App } from "./app/App";
import { mark } from "./lib/startup";

mark("script started");

// Fonts by platform (theme.css), set before the first render so that the first layout uses them.
if (navigator.userAgent.includes("Linux") && !navigator.userAgent.includes("Android")) {
  document.documentElement.dataset.os = "linux";
}

const root = document.getElementById("app");
if (root === null) throw new Error("index.html has no #app element");
render(<App />, root);
