// A confirmation sheet with two big buttons (a gloved thumb must not mark a
// stop by accident, and the browser's own confirm() is small on phones).

import type { ComponentChildren } from "preact";

export function Confirm(props: {
  children: ComponentChildren;
  yes: string;
  no: string;
  busy?: boolean;
  onYes: () => void;
  onNo: () => void;
}) {
  return (
    <div class="sheet-backdrop" role="dialog" aria-modal="true">
      <div class="sheet">
        <p class="sheet-text">{props.children}</p>
        <button type="button" class="btn btn-go" data-testid="confirm-yes" disabled={props.busy} onClick={props.onYes}>
          {props.yes}
        </button>
        <button type="button" class="btn btn-plain" data-testid="confirm-no" disabled={props.busy} onClick={props.onNo}>
          {props.no}
        </button>
      </div>
    </div>
  );
}
