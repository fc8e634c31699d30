// Entry point of the till window. Records when the app started (for the
// scan benchmark's window.__posTimings) before anything renders.

import { render } from "preact";

import { App } from "./app";
import "./styles.css";

declare global {
  interface Window {
    __posTimings?: { appStart: number; sellReady?: number };
  }
}

window.__posTimings = { appStart: performance.now() };

const root = document.getElementById("app");
if (root) render(<App />, root);
